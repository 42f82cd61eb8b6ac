/**
 * The Partner API's operations table (the Naveera seed's endpoints at /api/partner/v1) and its
 * own OpenAPI 3.1 document, generated from the schemas that validate its requests.
 */
import { z } from 'zod';
import type { PartnerScope } from '../../common/partners/scopes';
import {
  deliveryNumberParam,
  deliveryRetrySchema,
  partnerChangelogSchema,
  partnerDeliveryListQuerySchema,
  partnerDeliveryPageSchema,
  partnerDeliverySchema,
  partnerErrorSchema,
  partnerEventsQuerySchema,
  partnerHealthSchema,
  partnerMeSchema,
  partnerSubscriptionCreateSchema,
  partnerSubscriptionPatchSchema,
  partnerSubscriptionSchema,
  partnerValidationErrorSchema,
  polledEventSchema,
  polledEventsSchema,
  rateLimitStatusSchema,
  statusHistoryQuerySchema,
  statusHistorySchema,
  tripGroupPageSchema,
  tripGroupParam,
  tripGroupQuerySchema,
  tripIdParam,
  tripListQuerySchema,
  tripPageSchema,
  tripSchema,
  uuidParam,
} from '../../common/schemas/partner';
import { NAVEERA_API_VERSION } from '../../common/dialects/profiles';
import { buildOpenApiDocument, type Operation } from '../openapi-document';

export const PARTNER_BASE = '/api/partner/v1';

const op = (o: Operation<PartnerScope>): Operation<PartnerScope> => ({ ...o, path: `${PARTNER_BASE}${o.path}` });
const tripId = { trip_id: tripIdParam };
const subscriptionId = { subscription_id: uuidParam };
const deliveryId = { delivery_id: deliveryNumberParam };

export const PARTNER_OPERATIONS: Operation<PartnerScope>[] = [
  op({ method: 'get', path: '/health', tag: 'System', summary: 'Service health with each dependency and its latency', scope: null, status: 200, response: partnerHealthSchema }),
  op({ method: 'get', path: '/time', tag: 'System', summary: 'Server time (for clock sync)', scope: null, status: 200, response: z.object({ timestamp: z.string(), unix: z.number().int(), unix_ms: z.number().int() }) }),
  op({ method: 'get', path: '/changelog', tag: 'System', summary: 'API version history', scope: null, status: 200, response: partnerChangelogSchema }),
  op({ method: 'get', path: '/openapi.json', tag: 'System', summary: 'This document', scope: null, status: 200 }),
  op({ method: 'get', path: '/me', tag: 'Account', summary: 'The partner, scopes and tier of the presented credentials', scope: 'any', status: 200, response: partnerMeSchema }),
  op({ method: 'get', path: '/rate-limit-status', tag: 'Account', summary: 'Usage against the per-minute, burst and daily limits', scope: 'any', status: 200, response: rateLimitStatusSchema }),

  op({ method: 'get', path: '/trips', tag: 'Trips', summary: 'List your trips with filters', scope: 'trips:read', query: tripListQuerySchema, status: 200, response: tripPageSchema }),
  op({ method: 'get', path: '/trips/by-external-id/:broker_trip_id', tag: 'Trips', summary: 'A trip by your own reference', scope: 'trips:read', status: 200, response: tripSchema }),
  op({ method: 'get', path: '/trips/by-group/:group', tag: 'Trips', summary: 'Trips by status group', scope: 'trips:read', params: { group: tripGroupParam }, query: tripGroupQuerySchema, status: 200, response: tripGroupPageSchema }),
  op({ method: 'get', path: '/trips/:trip_id', tag: 'Trips', summary: 'A trip by its id', scope: 'trips:read', params: tripId, status: 200, response: tripSchema }),
  op({ method: 'get', path: '/trips/:trip_id/status-history', tag: 'Trips', summary: "A trip's status changes", scope: 'trips:lifecycle', params: tripId, query: statusHistoryQuerySchema, status: 200, response: statusHistorySchema }),

  op({ method: 'get', path: '/webhooks/subscriptions', tag: 'Webhooks', summary: 'List your subscriptions', scope: 'webhooks:manage', status: 200, response: z.object({ items: z.array(partnerSubscriptionSchema), total: z.number().int() }) }),
  op({ method: 'post', path: '/webhooks/subscriptions', tag: 'Webhooks', summary: 'Subscribe (the secret is shown once)', scope: 'webhooks:manage', body: partnerSubscriptionCreateSchema, status: 201, response: partnerSubscriptionSchema.extend({ secret: z.string() }) }),
  op({ method: 'get', path: '/webhooks/subscriptions/:subscription_id', tag: 'Webhooks', summary: 'A subscription', scope: 'webhooks:manage', params: subscriptionId, status: 200, response: partnerSubscriptionSchema }),
  op({ method: 'patch', path: '/webhooks/subscriptions/:subscription_id', tag: 'Webhooks', summary: 'Change URL, events or status', scope: 'webhooks:manage', params: subscriptionId, body: partnerSubscriptionPatchSchema, status: 200, response: partnerSubscriptionSchema }),
  op({ method: 'delete', path: '/webhooks/subscriptions/:subscription_id', tag: 'Webhooks', summary: 'Delete (pending deliveries are cancelled)', scope: 'webhooks:manage', params: subscriptionId, status: 204 }),
  op({ method: 'post', path: '/webhooks/subscriptions/:subscription_id/rotate-secret', tag: 'Webhooks', summary: 'New signing secret (shown once); the old one signs too for 24 h', scope: 'webhooks:manage', params: subscriptionId, status: 200, response: z.object({ secret: z.string(), rotated_at: z.string() }) }),
  op({ method: 'get', path: '/webhooks/deliveries', tag: 'Webhooks', summary: 'List delivery attempts', scope: 'webhooks:manage', query: partnerDeliveryListQuerySchema, status: 200, response: partnerDeliveryPageSchema }),
  op({ method: 'get', path: '/webhooks/deliveries/:delivery_id', tag: 'Webhooks', summary: 'A delivery', scope: 'webhooks:manage', params: deliveryId, status: 200, response: partnerDeliverySchema }),
  op({ method: 'post', path: '/webhooks/deliveries/:delivery_id/retry', tag: 'Webhooks', summary: 'Retry a failed delivery', scope: 'webhooks:manage', params: deliveryId, status: 200, response: deliveryRetrySchema }),
  op({ method: 'get', path: '/webhooks/events', tag: 'Webhooks', summary: 'Poll events (fallback); `after` pages exactly once', scope: 'webhooks:manage', query: partnerEventsQuerySchema, status: 200, response: polledEventsSchema }),
];

export function buildPartnerDocument(): object {
  return buildOpenApiDocument(PARTNER_OPERATIONS, {
    title: 'Naveera Partner API (Dispatch Hub)',
    base: PARTNER_BASE,
    tags: {
      System: 'Health, time, versions and this document; no credentials needed',
      Account: 'The presented credentials: partner, scopes, tier and rate limits',
      Trips: 'The trips you handed to providers on this hub, personal data hidden',
      Webhooks: 'Subscriptions in the naveera dialect, deliveries, and events polling',
    },
    components: {
      Error: partnerErrorSchema,
      ValidationError: partnerValidationErrorSchema,
      Health: partnerHealthSchema,
      Changelog: partnerChangelogSchema,
      Me: partnerMeSchema,
      RateLimitStatus: rateLimitStatusSchema,
      Trip: tripSchema,
      TripPage: tripPageSchema,
      TripGroupPage: tripGroupPageSchema,
      StatusHistory: statusHistorySchema,
      Subscription: partnerSubscriptionSchema,
      SubscriptionCreate: partnerSubscriptionCreateSchema,
      SubscriptionPatch: partnerSubscriptionPatchSchema,
      Delivery: partnerDeliverySchema,
      DeliveryPage: partnerDeliveryPageSchema,
      DeliveryRetry: deliveryRetrySchema,
      PolledEvent: polledEventSchema,
      PolledEvents: polledEventsSchema,
    },
    version: NAVEERA_API_VERSION,
    description:
      'For brokers: the trips handed to providers on this hub (personal data hidden), webhook subscriptions in the naveera dialect, deliveries and events polling. ' +
      'Validation failures answer 422 with `' +
      JSON.stringify({ code: 'VALIDATION_ERROR', message: 'Request validation failed', details: [{ loc: ['query', 'page_size'], msg: '…', type: '…' }] }) +
      '`.',
    credentials: 'Bearer {key_id}:{secret_key}, e.g. nvr_pk_live_…:nvr_sk_live_…',
    errorSchema: partnerErrorSchema,
    validation: { status: 422, schema: partnerValidationErrorSchema },
    other400: 'INVALID_STATUS (a status word not in the list), SUBSCRIPTION_LIMIT_EXCEEDED, or DELIVERY_NOT_RETRYABLE',
  });
}
