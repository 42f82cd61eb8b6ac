/** Request and response schemas for stops: these validate requests and feed the OpenAPI document. */
import { z } from 'zod';
import { FAILURE_REASONS, PAYMENT_METHODS, STOP_STATUSES } from '../stops/lifecycle';
import { e164, httpsUrl, idParam, isoDateTime, limitParam, nonEmptyPatch, plainString, text } from './primitives';

export const timeWindowSchema = z
  .strictObject({ from: isoDateTime, to: isoDateTime })
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: 'time_window.from must be before time_window.to', path: ['from'] });

/** ISO 4217 codes as the runtime knows them (Intl), upper case. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export const currencyCode = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 currency code such as EUR')
  .transform((c) => c.toUpperCase())
  .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code such as EUR');

export const pickupSchema = z.strictObject({ address: text(500, 3), name: text(200).nullish() });

const stopFields = {
  address: text(500, 3),
  customer_name: text(200).nullish(),
  phone: e164.nullish(),
  order_amount: z.number().finite().min(0, 'must not be negative').max(999_999_999_999).nullish(),
  payment_method: z.enum(PAYMENT_METHODS).nullish(),
  time_window: timeWindowSchema.nullish(),
  notes: text(2000, 0).nullish(),
  external_ref: text(200).nullish(),
  zone: text(100).nullish(),
  /** The partner (broker) the stop is handed to: one the tenant is linked with. */
  broker_id: z.uuid('must be a partner id (a UUID)').nullish(),
  /** The broker's own reference for the trip; unique per broker. */
  broker_trip_id: text(200).nullish(),
  /** Where the goods (or the passenger) are collected. */
  pickup: pickupSchema.nullish(),
  /** The delivery fee in minor units (cents), with its currency. */
  fee: z.number().int('must be a whole number of minor units (cents)').min(0, 'must not be negative').max(999_999_999_999).nullish(),
  currency: currencyCode.nullish(),
};

export const stopCreateSchema = z
  .strictObject(stopFields)
  .refine((s) => s.fee == null || s.currency != null, { message: 'currency is required with a fee', path: ['currency'] });
export const MAX_BULK_STOPS = 500;
export type StopCreateInput = z.infer<typeof stopCreateSchema>;

export const stopPatchSchema = nonEmptyPatch(z.strictObject({ ...stopFields, address: stopFields.address.optional() }));
export type StopPatchInput = z.infer<typeof stopPatchSchema>;

export const assignSchema = z.strictObject({ driver_id: idParam('drv') });
export const emptyActionSchema = z.strictObject({ notes: text(2000, 0).optional() });
export const completeSchema = z.strictObject({
  notes: text(2000, 0).optional(),
  proof: z
    .strictObject({
      photo_urls: z.array(httpsUrl).max(10).optional(),
      signature_url: httpsUrl.optional(),
      signee_name: text(200).optional(),
    })
    .optional(),
});
export const failSchema = z.strictObject({ reason: z.enum(FAILURE_REASONS), notes: text(2000, 0).optional() });
export const cancelSchema = z.strictObject({ reason: text(500).optional() });

export const ACTION_SCHEMAS = {
  assign: assignSchema,
  unassign: emptyActionSchema,
  pick_up: emptyActionSchema,
  depart: emptyActionSchema,
  complete: completeSchema,
  fail: failSchema,
  cancel: cancelSchema,
} as const;

export type ActionPayloads = { [K in keyof typeof ACTION_SCHEMAS]: z.infer<(typeof ACTION_SCHEMAS)[K]> };

export const stopListQuerySchema = z.strictObject({
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(STOP_STATUSES)))
    .optional(),
  driver_id: idParam('drv').optional(),
  external_ref: text(200).optional(),
  updated_since: isoDateTime.optional(),
  limit: limitParam(100, 50),
  cursor: plainString().max(200).optional(),
});

export const geocodedSchema = z.object({
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  confidence: z.enum(['high', 'medium', 'low', 'none']),
});

export const stopResourceSchema = z.object({
  id: z.string(),
  status: z.enum(STOP_STATUSES),
  address: z.string(),
  customer_name: z.string().nullable(),
  phone: z.string().nullable(),
  order_amount: z.number().nullable(),
  payment_method: z.enum(PAYMENT_METHODS).nullable(),
  time_window: z.object({ from: z.string(), to: z.string() }).nullable(),
  notes: z.string().nullable(),
  external_ref: z.string().nullable(),
  broker_id: z.string().nullable(),
  broker_trip_id: z.string().nullable(),
  pickup: z.object({ address: z.string(), name: z.string().nullable(), geocoded: geocodedSchema.nullable() }).nullable(),
  fee: z.number().int().nullable(),
  currency: z.string().nullable(),
  zone: z.string().nullable(),
  driver_id: z.string().nullable(),
  geocoded: geocodedSchema.nullable(),
  geocode_warnings: z.array(z.string()),
  completion: z.record(z.string(), z.unknown()).nullable(),
  failure: z.record(z.string(), z.unknown()).nullable(),
  cancellation: z.record(z.string(), z.unknown()).nullable(),
  /** When the stop was picked up (null before). */
  picked_up_at: z.string().nullable(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type StopResource = z.infer<typeof stopResourceSchema>;
