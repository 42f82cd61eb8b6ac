/**
 * The Partner API's request and response schemas, as the Naveera seed documents them. They
 * validate requests and generate the Partner API's own OpenAPI document.
 */
import { z } from 'zod';
import { PARTNER_SCOPES } from '../partners/scopes';
import { TRIP_GROUPS, TRIP_STATUSES } from '../partners/trip-status';
import { eventNamesOf } from '../dialects/profiles';
import { DELIVERY_STATUSES } from './webhooks';
import { decimalParam, plainString, text } from './primitives';

/** The names a broker's events and subscriptions use (`trip.*`). */
export const TRIP_EVENTS = eventNamesOf('naveera') as [string, ...string[]];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Date, or date and time; seconds, fraction and zone optional; `T` or a space between. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const inRange = (d: Date): boolean => !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 2000 && d.getUTCFullYear() <= 2100;

/** A calendar date, `YYYY-MM-DD`. */
export const dateParam = z
  .string()
  .max(10)
  .regex(DATE, 'invalid date format; expected YYYY-MM-DD')
  .refine((s) => inRange(new Date(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'invalid date');

/**
 * A timestamp as a broker's client sends one: ISO 8601, or Python's `str(datetime)`; without a
 * zone it is UTC (the seed's own sync example sends `datetime.utcnow()`).
 */
export const dateTimeParam = z
  .string()
  .max(40)
  .regex(DATE_TIME, 'invalid datetime format; expected ISO 8601, e.g. 2024-01-30T10:00:00Z')
  .transform((s, ctx) => {
    const m = DATE_TIME.exec(s)!;
    const zone = m[7] ? (m[7].toUpperCase() === 'Z' ? 'Z' : m[7].length === 3 ? `${m[7]}:00` : m[7].includes(':') ? m[7] : `${m[7].slice(0, 3)}:${m[7].slice(3)}`) : 'Z';
    const time = m[4] ? `${m[4]}:${m[5]}:${m[6] ?? '00'}` : '00:00:00';
    const fraction = /\.(\d{1,9})/.exec(s)?.[1]?.slice(0, 3) ?? '0';
    const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${time}.${fraction.padEnd(3, '0')}${zone}`);
    if (!inRange(d)) {
      ctx.addIssue({ code: 'custom', message: 'invalid datetime' });
      return z.NEVER;
    }
    return d;
  });

const page = decimalParam(1, 100_000).default(1);
const pageSize = decimalParam(1, 100).default(50);

export const tripListQuerySchema = z.strictObject({
  /** Comma-separated status words; an unknown one is 400 INVALID_STATUS, not a validation error. */
  status: plainString().max(500).optional(),
  trip_date_from: dateParam.optional(),
  trip_date_to: dateParam.optional(),
  broker_trip_id: text(200).optional(),
  updated_since: dateTimeParam.optional(),
  page,
  page_size: pageSize,
});

export const tripGroupQuerySchema = tripListQuerySchema.omit({ status: true, broker_trip_id: true });

export const statusHistoryQuerySchema = z.strictObject({
  from_date: dateTimeParam.optional(),
  to_date: dateTimeParam.optional(),
});

export const tripIdParam = z.string().regex(/^\d{1,18}$/, 'value is not a valid integer');
export const tripGroupParam = z.enum(TRIP_GROUPS);
export const uuidParam = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'value is not a valid uuid');
export const deliveryNumberParam = tripIdParam;

export const partnerSubscriptionCreateSchema = z.strictObject({
  url: plainString().min(1).max(2083),
  /** Empty = every event. */
  events: z.array(z.enum(TRIP_EVENTS)).max(TRIP_EVENTS.length * 2).default([]),
  name: text(200).nullish(),
  description: text(1000).nullish(),
  /** Brokers' subscriptions speak Naveera: other dialects carry the whole stop, personal data included. */
  provider: z.literal('naveera').optional(),
});

export const partnerSubscriptionPatchSchema = z.strictObject({
  url: plainString().min(1).max(2083).nullish(),
  events: z.array(z.enum(TRIP_EVENTS)).max(TRIP_EVENTS.length * 2).nullish(),
  name: text(200).nullish(),
  description: text(1000).nullish(),
  is_active: z.boolean().nullish(),
});

export const partnerDeliveryListQuerySchema = z.strictObject({
  subscription_id: uuidParam.optional(),
  event_type: plainString().max(100).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  page,
  page_size: pageSize,
});

export const partnerEventsQuerySchema = z.strictObject({
  since: dateTimeParam.optional(),
  event_type: z.enum(TRIP_EVENTS).optional(),
  limit: decimalParam(1, 1000).default(100),
  /** An item's `id`: the page after it, in commit order (exactly once, unlike `since`). */
  after: decimalParam(0, 999_999_999).optional(),
});

// ---- responses ----

const ts = z.string().nullable();

const placeSchema = z.object({
  street: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  zip_code: z.string().nullable(),
  scheduled_time: ts,
  completed_at: ts,
});

export const tripSchema = z.object({
  id: z.number().int(),
  trip_number: z.string(),
  broker_trip_id: z.string().nullable(),
  external_trip_id: z.string().nullable(),
  trip_type: z.enum(['scheduled', 'on_demand', 'will_call']).nullable(),
  trip_date: z.string(),
  purpose: z.string().nullable(),
  status: z.enum(TRIP_STATUSES),
  scheduled_pickup_time: ts,
  actual_pickup_time: ts,
  actual_dropoff_time: ts,
  estimated_duration_minutes: z.number().int().nullable(),
  actual_duration_minutes: z.number().int().nullable(),
  pickup: placeSchema,
  dropoff: placeSchema,
  passenger_name: z.string().nullable(),
  is_assigned: z.boolean(),
  vehicle_type: z.string().nullable(),
  driver: z.object({ driver_id: z.string(), display_name: z.string() }).nullable(),
  vehicle: z.object({ vehicle_id: z.string(), label: z.string(), make: z.string(), model: z.string(), year: z.number().int() }).nullable(),
  map_snapshot_url: z.string().nullable(),
  route_snapshot_url: z.string().nullable(),
  videos: z.array(z.object({ url: z.string(), camera_position: z.string(), start_time: z.string(), end_time: z.string(), duration_seconds: z.number() })),
  cancellation_location: z.object({ lat: z.number(), lon: z.number(), accuracy: z.number(), captured_at: z.string() }).nullable(),
  billing_summary: z
    .object({
      billing_status: z.string(),
      total_amount: z.string(),
      currency: z.string().nullable(),
      base_fare: z.string().nullable(),
      mileage_charge: z.string().nullable(),
      wait_time_charge: z.string().nullable(),
      is_final: z.boolean(),
    })
    .nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Trip = z.infer<typeof tripSchema>;

const pageFields = { total: z.number().int(), page: z.number().int(), page_size: z.number().int(), has_more: z.boolean() };
export const tripPageSchema = z.object({ items: z.array(tripSchema), ...pageFields });
export const tripGroupPageSchema = z.object({ group: z.enum(TRIP_GROUPS), items: z.array(tripSchema), ...pageFields });

export const statusHistorySchema = z.object({
  trip_id: z.number().int(),
  broker_trip_id: z.string().nullable(),
  history: z.array(z.object({ from_status: z.enum(TRIP_STATUSES).nullable(), to_status: z.enum(TRIP_STATUSES), changed_at: z.string(), source: z.string() })),
});

export const partnerSubscriptionSchema = z.object({
  id: z.string(),
  partner_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  name: z.string().nullable(),
  description: z.string().nullable(),
  is_active: z.boolean(),
  consecutive_failures: z.number().int(),
  last_success_at: ts,
  last_failure_at: ts,
  disabled_at: ts,
  disabled_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type PartnerSubscription = z.infer<typeof partnerSubscriptionSchema>;

export const partnerDeliverySchema = z.object({
  id: z.number().int(),
  subscription_id: z.string(),
  event_id: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempt_count: z.number().int(),
  max_attempts: z.number().int(),
  next_retry_at: ts,
  response_status: z.number().int().nullable(),
  response_time_ms: z.number().int().nullable(),
  error_message: z.string().nullable(),
  created_at: z.string(),
  first_attempted_at: ts,
  last_attempted_at: ts,
  delivered_at: ts,
  failed_at: ts,
});
export type PartnerDelivery = z.infer<typeof partnerDeliverySchema>;
export const partnerDeliveryPageSchema = z.object({ items: z.array(partnerDeliverySchema), ...pageFields });
export const deliveryRetrySchema = z.object({ delivery_id: z.number().int(), event_id: z.string(), status: z.literal('retrying'), next_retry_at: z.string(), message: z.string() });

export const polledEventSchema = z.object({
  id: z.number().int(),
  event_id: z.string(),
  partner_id: z.string(),
  event_type: z.string(),
  api_version: z.string(),
  trip_id: z.number().int().nullable(),
  broker_trip_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  expires_at: z.string(),
});
export const polledEventsSchema = z.object({
  items: z.array(polledEventSchema),
  total: z.number().int(),
  has_more: z.boolean(),
  /** Pass as `after` for the next page; the `after` given (or null) when this page is empty. */
  next_cursor: z.number().int().nullable(),
});

export const partnerMeSchema = z.object({
  partner_id: z.string(),
  partner_type: z.literal('broker'),
  scopes: z.array(z.enum(PARTNER_SCOPES)),
  rate_limit_tier: z.string(),
  credential_id: z.string(),
});

export const rateLimitStatusSchema = z.object({
  tier: z.string(),
  limits: z.record(z.string(), z.number().int()),
  current_usage: z.record(z.string(), z.number().int()),
  remaining: z.record(z.string(), z.number().int()),
  reset_seconds: z.number().int(),
});

export const partnerHealthSchema = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  version: z.string(),
  timestamp: z.string(),
  dependencies: z.record(z.string(), z.object({ status: z.enum(['up', 'down']), latency_ms: z.number() })),
});

export const partnerChangelogSchema = z.object({
  current_version: z.string(),
  entries: z.array(
    z.object({
      version: z.string(),
      release_date: z.string(),
      changes: z.array(z.string()),
      deprecations: z.array(z.object({ endpoint: z.string(), sunset_date: z.string(), replacement: z.string().nullable(), message: z.string() })),
    }),
  ),
});

export const partnerErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }) });
export const partnerValidationErrorSchema = z.object({
  code: z.literal('VALIDATION_ERROR'),
  message: z.string(),
  details: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })),
});
