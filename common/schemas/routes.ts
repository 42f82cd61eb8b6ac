/** Request and response schemas for routes: a driver's ordered run of stops. */
import { z } from 'zod';
import { STOP_STATUSES } from '../stops/lifecycle';
import { idParam, limitParam, nonEmptyPatch, plainString, text } from './primitives';

export const ROUTE_STATUSES = ['planned', 'dispatched', 'started', 'completed'] as const;
export const MAX_ROUTE_STOPS = 200;

const stopIds = z
  .array(idParam('stop'))
  .min(1, 'a route needs at least one stop')
  .max(MAX_ROUTE_STOPS, `a route holds at most ${MAX_ROUTE_STOPS} stops`)
  .refine((ids) => new Set(ids).size === ids.length, 'must not name a stop twice');

export const routeCreateSchema = z.strictObject({
  driver_id: idParam('drv'),
  name: text(200).nullish(),
  stop_ids: stopIds,
});
export type RouteCreateInput = z.infer<typeof routeCreateSchema>;

/** Rename, or reorder: `stop_ids` must name the route's stops exactly, in the new order. */
export const routePatchSchema = nonEmptyPatch(z.strictObject({ name: text(200).nullish(), stop_ids: stopIds.optional() }));
export type RoutePatchInput = z.infer<typeof routePatchSchema>;

export const routeListQuerySchema = z.strictObject({
  status: z.enum(ROUTE_STATUSES).optional(),
  driver_id: idParam('drv').optional(),
  limit: limitParam(100, 50),
  cursor: plainString().max(200).optional(),
});

export const routeStopSchema = z.object({
  stop_id: z.string(),
  position: z.number().int(),
  status: z.enum(STOP_STATUSES),
  address: z.string(),
  customer_name: z.string().nullable(),
});

export const routeResourceSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.enum([...ROUTE_STATUSES, 'deleted']),
  driver_id: z.string(),
  driver: z.object({ id: z.string(), name: z.string() }),
  stops: z.array(routeStopSchema),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  dispatched_at: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});
export type RouteResource = z.infer<typeof routeResourceSchema>;
export type RouteStatus = RouteResource['status'];
