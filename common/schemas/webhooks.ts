/** Request and response schemas for subscriptions, deliveries and the events feed. */
import { z } from 'zod';
import { CANONICAL_EVENTS, eventNamesOf, PROVIDERS, type ProviderName } from '../dialects/profiles';
import { decimalParam, idParam, isoDateTime, limitParam, nonEmptyPatch, plainString, text } from './primitives';

const MAX_RETRY_DELAY_SECONDS = 2 * 24 * 3600;

const retrySchedule = z
  .array(z.number().int('must be whole seconds').min(1).max(MAX_RETRY_DELAY_SECONDS, 'each wait must be at most 2 days'))
  .min(1)
  .max(20);

const eventsFilter = z.array(plainString().max(100)).max(50);

/** Event names are the subscription's own dialect's; `*` (or none) means all. */
function checkEventNames(provider: ProviderName, events: readonly string[] | undefined, ctx: z.RefinementCtx): void {
  const known = new Set(eventNamesOf(provider));
  events?.forEach((name, i) => {
    if (name !== '*' && !known.has(name)) {
      ctx.addIssue({ code: 'custom', path: ['events', i], message: `"${name}" is not a ${provider} event; use one of ${[...known].join(', ')} or *` });
    }
  });
}

export const subscriptionCreateSchema = z
  .strictObject({
    url: plainString().min(1).max(2083),
    events: eventsFilter.default([]),
    provider: z.enum(PROVIDERS).default('standard'),
    name: text(200).nullish(),
    description: text(1000).nullish(),
    retry_schedule: retrySchedule.nullish(),
  })
  .superRefine((v, ctx) => checkEventNames(v.provider, v.events, ctx));

/** A new `events` filter for an existing subscription, checked against its dialect. */
export const subscriptionEventsSchema = (provider: ProviderName) =>
  z.object({ events: eventsFilter }).superRefine((v, ctx) => checkEventNames(provider, v.events, ctx));

export const subscriptionPatchSchema = nonEmptyPatch(
  z.strictObject({
    url: plainString().min(1).max(2083).optional(),
    events: eventsFilter.optional(),
    name: text(200).nullish(),
    description: text(1000).nullish(),
    is_active: z.boolean().optional(),
    retry_schedule: retrySchedule.nullish(),
  }),
);

export const subscriptionIdSchema = idParam('whsub');

/**
 * Zippex's own registration calls (`POST/GET/DELETE /v1/webhooks`): zippex-dialect subscriptions,
 * `events` required (`["*"]` for all), known by `wh_…` ids that are the same subscriptions'
 * `whsub_…` ids under another prefix.
 */
export const zippexWebhookCreateSchema = z
  .strictObject({
    url: plainString().min(1).max(2083),
    events: eventsFilter.min(1, 'name at least one event, or ["*"] for all'),
    description: text(1000).nullish(),
  })
  .superRefine((v, ctx) => checkEventNames('zippex', v.events, ctx));
export const zippexWebhookIdSchema = idParam('wh');
export const zippexWebhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  active: z.boolean(),
  created_at: z.string(),
});
export const deliveryIdSchema = idParam('dlv');

export const subscriptionResourceSchema = z.object({
  id: z.string(),
  provider: z.enum(PROVIDERS),
  url: z.string(),
  events: z.array(z.string()),
  name: z.string().nullable(),
  description: z.string().nullable(),
  retry_schedule: z.array(z.number()).nullable(),
  is_active: z.boolean(),
  consecutive_failures: z.number().int(),
  last_success_at: z.string().nullable(),
  last_failure_at: z.string().nullable(),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  secret_rotated_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SubscriptionResource = z.infer<typeof subscriptionResourceSchema>;

export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;

export const deliveryListQuerySchema = z.strictObject({
  subscription_id: subscriptionIdSchema.optional(),
  event_id: z.string().max(64).regex(/^evt_[0-9A-Za-z_]{1,60}$/, 'must be an evt_… id').optional(),
  event_type: plainString().max(100).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  page: decimalParam(1, 100_000).default(1),
  page_size: limitParam(100, 50),
});

export const eventsQuerySchema = z.strictObject({
  since: isoDateTime.optional(),
  after: plainString().max(200).optional(),
  event_type: z.enum(CANONICAL_EVENTS).optional(),
  limit: limitParam(1000, 100),
});

// ─── responses ─────────────────────────────────────────────────────────────────────────────

export const deliveryResourceSchema = z.object({
  id: z.string(),
  subscription_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempt_count: z.number().int(),
  max_attempts: z.number().int(),
  next_retry_at: z.string().nullable(),
  response_status: z.number().int().nullable(),
  response_time_ms: z.number().int().nullable(),
  error_message: z.string().nullable(),
  created_at: z.string(),
  first_attempted_at: z.string().nullable(),
  last_attempted_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  failed_at: z.string().nullable(),
});
export type DeliveryResource = z.infer<typeof deliveryResourceSchema>;

export const attemptResourceSchema = z.object({
  attempt_number: z.number().int(),
  started_at: z.string(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  succeeded: z.boolean(),
  error: z.string().nullable(),
  response_body: z.string().nullable(),
  response_truncated: z.boolean(),
  request: z.object({ headers: z.record(z.string(), z.string()), body: z.string() }).nullable(),
});
export type AttemptResource = z.infer<typeof attemptResourceSchema>;

export const eventItemSchema = z.object({ event_id: z.string(), event_type: z.string(), created_at: z.string(), expires_at: z.string(), payload: z.record(z.string(), z.unknown()) });
export const eventsPageSchema = z.object({ items: z.array(eventItemSchema), next_cursor: z.string().nullable(), has_more: z.boolean() });
export type EventsPage = z.infer<typeof eventsPageSchema>;
