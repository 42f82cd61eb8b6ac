import { z } from 'zod';
import { e164, idParam, limitParam, plainString, text } from './primitives';

export const driverCreateSchema = z.strictObject({
  name: text(200),
  phone: e164.nullish(),
  zone: text(100).nullish(),
});

export const driverLocationSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  speed_mps: z.number().min(0).max(100).nullish(),
  heading: z.number().min(0).max(360).nullish(),
  battery_pct: z.number().min(0).max(100).nullish(),
});

export const driverListQuerySchema = z.strictObject({
  status: z.enum(['online', 'offline']).optional(),
  zone: text(100).optional(),
  limit: limitParam(100, 50),
  cursor: plainString().max(200).optional(),
});

export const driverIdSchema = idParam('drv');

export const driverResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  zone: z.string().nullable(),
  status: z.enum(['online', 'offline']),
  location: z
    .object({ lat: z.number(), lng: z.number(), speed_mps: z.number().nullable(), heading: z.number().nullable(), battery_pct: z.number().nullable(), updated_at: z.string() })
    .nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type DriverResource = z.infer<typeof driverResourceSchema>;

/** `GET /v1/drivers/:id/live`, exactly the Courrex seed's shape. */
export const driverLiveSchema = z.object({
  driver_id: z.string(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  speed_mps: z.number().nullable(),
  heading: z.number().nullable(),
  current_stop_id: z.string().nullable(),
  eta_minutes: z.number().int().nullable(),
  battery_pct: z.number().nullable(),
  updated_at: z.string().nullable(),
});
export type DriverLive = z.infer<typeof driverLiveSchema>;
