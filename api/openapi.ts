/**
 * The /v1 API's operations table and its OpenAPI 3.1 document, generated from the zod schemas
 * that validate the requests (no hand-kept copy). The router tests hold the Express routes to
 * OPERATIONS, so an undocumented route fails the build.
 */
import { z } from 'zod';
import { buildOpenApiDocument, type Operation } from './openapi-document';
import type { Scope } from '../common/auth/scopes';
import { API_VERSION } from '../common/changelog';
import { meSchema, rateLimitStatusSchema } from '../common/schemas/account';
import { importCreatedSchema, importSchema } from '../common/schemas/imports';
import { driverCreateSchema, driverListQuerySchema, driverLiveSchema, driverLocationSchema, driverResourceSchema } from '../common/schemas/drivers';
import { recoverSchema, recoveryResourceSchema, replaySchema, statsQuerySchema, statsResourceSchema } from '../common/schemas/recoveries';
import { routeCreateSchema, routeListQuerySchema, routePatchSchema, routeResourceSchema } from '../common/schemas/routes';
import { ACTION_SCHEMAS, stopCreateSchema, stopListQuerySchema, stopPatchSchema, stopResourceSchema } from '../common/schemas/stops';
import {
  attemptResourceSchema,
  deliveryListQuerySchema,
  deliveryResourceSchema,
  eventItemSchema,
  eventsPageSchema,
  eventsQuerySchema,
  subscriptionCreateSchema,
  subscriptionPatchSchema,
  subscriptionResourceSchema,
  zippexWebhookCreateSchema,
  zippexWebhookSchema,
} from '../common/schemas/webhooks';
import { actionPath, STOP_STATUSES, TRANSITION_ACTIONS } from '../common/stops/lifecycle';
import { eventNamesOf, PROVIDERS, type ProviderName } from '../common/dialects/profiles';

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

const isoString = z.string();
export const healthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  time: isoString,
  checks: z.record(z.string(), z.object({ status: z.enum(['up', 'down']), latency_ms: z.number(), address: z.string().optional().describe('host:port of the server probed'), error: z.string().optional() })),
});
const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });
const historySchema = z.object({
  stop_id: z.string(),
  external_ref: z.string().nullable(),
  history: z.array(z.object({ from_status: z.string().nullable(), to_status: z.string(), changed_at: isoString, source: z.string(), event_id: z.string() })),
});

export type { Operation };

const op = (o: Operation<Scope>): Operation<Scope> => o;

export const OPERATIONS: Operation<Scope>[] = [
  op({ method: 'get', path: '/health', tag: 'Public', summary: 'Postgres and Temporal reachability with latency', scope: null, status: 200, response: healthSchema }),
  op({ method: 'get', path: '/livez', tag: 'Operations', summary: 'The process answers', scope: null, status: 200, response: z.object({ status: z.literal('ok') }) }),
  op({ method: 'get', path: '/readyz', tag: 'Operations', summary: 'Ready to serve (Postgres and Temporal reachable, not draining); 503 otherwise', scope: null, status: 200, response: z.object({ status: z.string(), checks: healthSchema.shape.checks }) }),
  op({ method: 'get', path: '/metrics', tag: 'Operations', summary: 'Prometheus metrics (text format); Bearer HUB_METRICS_TOKEN when one is set', scope: null, status: 200 }),
  op({ method: 'get', path: '/time', tag: 'Public', summary: 'Server time', scope: null, status: 200, response: z.object({ now: isoString, unix: z.number().int(), unix_ms: z.number().int() }) }),
  op({ method: 'get', path: '/changelog', tag: 'Public', summary: 'API versions', scope: null, status: 200 }),
  op({ method: 'get', path: '/v1/openapi.json', tag: 'Public', summary: 'This document', scope: null, status: 200 }),
  op({ method: 'get', path: '/v1/me', tag: 'Account', summary: 'The tenant, key and scopes of the presented key, and the tenant\'s quotas with what is used', scope: 'any', status: 200, response: meSchema }),
  op({ method: 'get', path: '/v1/rate-limit-status', tag: 'Account', summary: 'Where the key stands against its rate limit', scope: 'any', status: 200, response: rateLimitStatusSchema }),

  op({ method: 'post', path: '/v1/stops', tag: 'Stops', summary: 'Create a stop', scope: 'stops:write', body: stopCreateSchema, status: 201, quotas: ['stops_per_day'], response: stopResourceSchema }),
  op({ method: 'get', path: '/v1/stops', tag: 'Stops', summary: 'List stops (cursor pagination)', scope: 'stops:read', query: stopListQuerySchema, status: 200, response: pageOf(stopResourceSchema) }),
  op({ method: 'get', path: '/v1/stops/:id', tag: 'Stops', summary: 'Get a stop', scope: 'stops:read', status: 200, response: stopResourceSchema }),
  op({ method: 'patch', path: '/v1/stops/:id', tag: 'Stops', summary: 'Change a stop (not once terminal)', scope: 'stops:write', body: stopPatchSchema, status: 200, response: stopResourceSchema }),
  op({ method: 'get', path: '/v1/stops/:id/history', tag: 'Stops', summary: 'Every status change of a stop', scope: 'stops:read', status: 200, response: historySchema }),
  ...TRANSITION_ACTIONS.map((action) =>
    op({ method: 'post', path: `/v1/stops/:id/${actionPath(action)}`, tag: 'Stop lifecycle', summary: `${action.replace('_', ' ')} (409 with the current status if not allowed)`, scope: 'stops:write', body: ACTION_SCHEMAS[action], status: 200, response: stopResourceSchema }),
  ),
  op({ method: 'post', path: '/v1/stops/bulk', tag: 'Bulk import', summary: 'Import 1–500 stops, all or nothing (refused whole past the day\'s stop quota)', scope: 'stops:write', body: z.array(stopCreateSchema).min(1).max(500), status: 201, quotas: ['stops_per_day', 'imports_in_flight'], response: importCreatedSchema }),
  op({ method: 'get', path: '/v1/imports/:id', tag: 'Bulk import', summary: 'Progress and counts of an import', scope: 'stops:read', status: 200, response: importSchema }),

  op({ method: 'post', path: '/v1/drivers', tag: 'Drivers', summary: 'Create a driver', scope: 'drivers:write', body: driverCreateSchema, status: 201, response: driverResourceSchema }),
  op({ method: 'get', path: '/v1/drivers', tag: 'Drivers', summary: 'List drivers', scope: 'drivers:read', query: driverListQuerySchema, status: 200, response: pageOf(driverResourceSchema) }),
  op({ method: 'get', path: '/v1/drivers/:id', tag: 'Drivers', summary: 'Get a driver', scope: 'drivers:read', status: 200, response: driverResourceSchema }),
  op({ method: 'post', path: '/v1/drivers/:id/online', tag: 'Drivers', summary: 'The driver starts work (driver.online)', scope: 'drivers:write', status: 200, response: driverResourceSchema }),
  op({ method: 'post', path: '/v1/drivers/:id/offline', tag: 'Drivers', summary: 'The driver stops work (driver.offline)', scope: 'drivers:write', status: 200, response: driverResourceSchema }),
  op({ method: 'post', path: '/v1/drivers/:id/location', tag: 'Drivers', summary: 'Report a position', scope: 'drivers:write', body: driverLocationSchema, status: 200, response: driverResourceSchema }),
  op({ method: 'get', path: '/v1/drivers/:id/live', tag: 'Drivers', summary: 'Live position, current stop and ETA', scope: 'drivers:read', status: 200, response: driverLiveSchema }),

  op({ method: 'post', path: '/v1/routes', tag: 'Routes', summary: "A driver's ordered run of stops (route.created)", scope: 'stops:write', body: routeCreateSchema, status: 201, response: routeResourceSchema }),
  op({ method: 'get', path: '/v1/routes', tag: 'Routes', summary: 'List routes', scope: 'stops:read', query: routeListQuerySchema, status: 200, response: pageOf(routeResourceSchema) }),
  op({ method: 'get', path: '/v1/routes/:id', tag: 'Routes', summary: 'A route with its stops in order', scope: 'stops:read', status: 200, response: routeResourceSchema }),
  op({ method: 'patch', path: '/v1/routes/:id', tag: 'Routes', summary: 'Rename, or reorder (stop_ids: the same stops in the new order)', scope: 'stops:write', body: routePatchSchema, status: 200, response: routeResourceSchema }),
  op({ method: 'post', path: '/v1/routes/:id/dispatch', tag: 'Routes', summary: 'Give every stop to the driver (409 naming the stops that cannot be)', scope: 'stops:write', status: 200, response: routeResourceSchema }),
  op({ method: 'post', path: '/v1/routes/:id/start', tag: 'Routes', summary: 'The driver starts the route (route.started)', scope: 'stops:write', status: 200, response: routeResourceSchema }),
  op({ method: 'delete', path: '/v1/routes/:id', tag: 'Routes', summary: 'Delete a route (its stops keep their driver)', scope: 'stops:write', status: 200, response: routeResourceSchema }),

  op({ method: 'post', path: '/v1/webhooks/subscriptions', tag: 'Webhooks', summary: 'Subscribe (the secret is shown once)', scope: 'webhooks:manage', body: subscriptionCreateSchema, status: 201, response: subscriptionResourceSchema.extend({ secret: z.string() }) }),
  op({ method: 'get', path: '/v1/webhooks/subscriptions', tag: 'Webhooks', summary: 'List subscriptions', scope: 'webhooks:manage', status: 200, response: z.object({ items: z.array(subscriptionResourceSchema), total: z.number().int() }) }),
  op({ method: 'get', path: '/v1/webhooks/subscriptions/:id', tag: 'Webhooks', summary: 'Get a subscription', scope: 'webhooks:manage', status: 200, response: subscriptionResourceSchema }),
  op({ method: 'patch', path: '/v1/webhooks/subscriptions/:id', tag: 'Webhooks', summary: 'Change, disable or re-enable a subscription', scope: 'webhooks:manage', body: subscriptionPatchSchema, status: 200, response: subscriptionResourceSchema }),
  op({ method: 'delete', path: '/v1/webhooks/subscriptions/:id', tag: 'Webhooks', summary: 'Delete a subscription (cancels pending deliveries)', scope: 'webhooks:manage', status: 200, response: z.object({ id: z.string(), deleted: z.boolean(), cancelled_deliveries: z.number().int() }) }),
  op({ method: 'post', path: '/v1/webhooks/subscriptions/:id/rotate-secret', tag: 'Webhooks', summary: 'New secret; where the dialect carries two signatures (standard, zippex, naveera) the old one signs too for 24 h, elsewhere previous_secret_expires_at is null', scope: 'webhooks:manage', status: 200, response: z.object({ secret: z.string(), rotated_at: isoString, previous_secret_expires_at: isoString.nullable() }) }),
  op({ method: 'post', path: '/v1/webhooks/subscriptions/:id/test', tag: 'Webhooks', summary: "Send the dialect's test event now", scope: 'webhooks:manage', status: 202, response: z.object({ event_id: z.string(), delivery_id: z.string().nullable(), status: z.string() }) }),
  op({ method: 'get', path: '/v1/webhooks/deliveries', tag: 'Webhooks', summary: 'List deliveries', scope: 'webhooks:manage', query: deliveryListQuerySchema, status: 200, response: z.object({ items: z.array(deliveryResourceSchema), total: z.number().int(), page: z.number().int(), page_size: z.number().int(), has_more: z.boolean() }) }),
  op({ method: 'get', path: '/v1/webhooks/deliveries/:id', tag: 'Webhooks', summary: 'A delivery with every try', scope: 'webhooks:manage', status: 200, response: deliveryResourceSchema.extend({ attempts: z.array(attemptResourceSchema) }) }),
  op({ method: 'post', path: '/v1/webhooks/deliveries/:id/retry', tag: 'Webhooks', summary: 'Retry a failed delivery', scope: 'webhooks:manage', status: 202, response: z.object({ delivery_id: z.string(), event_id: z.string(), status: z.string(), next_retry_at: isoString, message: z.string() }) }),
  op({ method: 'post', path: '/v1/webhooks/subscriptions/:id/recover', tag: 'Recovery', summary: 'Re-send every delivery that ended failed in a window, in event order, paced (202; a recover/<id> workflow; 409 naming the running one if the subscription has one)', scope: 'webhooks:manage', body: recoverSchema, status: 202, quotas: ['recoveries_in_flight'], response: recoveryResourceSchema }),
  op({ method: 'post', path: '/v1/webhooks/subscriptions/:id/replay', tag: 'Recovery', summary: 'Re-send chosen events (delivered or not) with their message ids (409 naming the running one if the subscription has one)', scope: 'webhooks:manage', body: replaySchema, status: 202, quotas: ['recoveries_in_flight'], response: recoveryResourceSchema }),
  op({ method: 'get', path: '/v1/webhooks/recoveries/:id', tag: 'Recovery', summary: 'A recovery or replay and its progress (queued, sent, succeeded, failed)', scope: 'webhooks:manage', status: 200, response: recoveryResourceSchema }),
  op({ method: 'post', path: '/v1/webhooks/recoveries/:id/cancel', tag: 'Recovery', summary: 'Stop handing deliveries over (what was handed over goes on)', scope: 'webhooks:manage', status: 200, response: recoveryResourceSchema }),
  op({ method: 'get', path: '/v1/webhooks/subscriptions/:id/stats', tag: 'Recovery', summary: 'Tries by outcome, success rate, latency percentiles and per-bucket counts over 1h, 24h or 7d', scope: 'webhooks:manage', query: statsQuerySchema, status: 200, response: statsResourceSchema }),
  op({ method: 'post', path: '/v1/webhooks', tag: 'Zippex webhooks', summary: "Register a webhook, Zippex's way (a zippex subscription; the secret is shown once)", scope: 'webhooks:manage', body: zippexWebhookCreateSchema, status: 201, response: zippexWebhookSchema.extend({ secret: z.string() }) }),
  op({ method: 'get', path: '/v1/webhooks', tag: 'Zippex webhooks', summary: "The tenant's zippex webhooks", scope: 'webhooks:manage', status: 200, response: z.object({ data: z.array(zippexWebhookSchema) }) }),
  op({ method: 'delete', path: '/v1/webhooks/:id', tag: 'Zippex webhooks', summary: 'Delete a zippex webhook (wh_… id)', scope: 'webhooks:manage', status: 200, response: z.object({ id: z.string(), deleted: z.boolean() }) }),
  op({ method: 'get', path: '/v1/webhooks/events', tag: 'Events', summary: 'Poll events (Naveera path)', scope: 'webhooks:manage', query: eventsQuerySchema, status: 200, response: eventsPageSchema }),
  op({ method: 'get', path: '/v1/events', tag: 'Events', summary: 'Poll events in commit order', scope: 'events:read', query: eventsQuerySchema, status: 200, response: eventsPageSchema }),
];

/** What the zod refinements of /v1 check, stated for clients and fuzzers. */
function refineV1(o: Operation, generated: { requestSchema?: Record<string, unknown>; parameters: Record<string, unknown>[] }): void {
  const { requestSchema: body, parameters } = generated;
  if (o.method === 'post' && o.path === '/v1/webhooks/subscriptions' && body) {
    // A subscription's events are its own dialect's names: one rule per dialect.
    const eventsOf = (provider: ProviderName) => ({ properties: { events: { items: { enum: ['*', ...eventNamesOf(provider)] } } } });
    body.allOf = [
      ...PROVIDERS.map((provider) => ({ if: { properties: { provider: { const: provider } }, required: ['provider'] }, then: eventsOf(provider) })),
      // No provider named: the default, standard.
      { if: { not: { properties: { provider: true }, required: ['provider'] } }, then: eventsOf('standard') },
    ];
  }
  if (o.method === 'patch' && o.path === '/v1/webhooks/subscriptions/:id' && body) {
    const events = (body.properties as Record<string, Record<string, unknown>> | undefined)?.events;
    if (events) events.description = "Names of the subscription's own dialect (see its provider), or *";
  }
  for (const p of parameters) {
    const schema = p.schema as Record<string, unknown> | undefined;
    if (p.name === 'status' && o.path === '/v1/stops' && schema) {
      schema.pattern = `^(${STOP_STATUSES.join('|')})(,(${STOP_STATUSES.join('|')}))*$`;
      schema.description = 'Comma-separated stop statuses';
    }
    if (p.name === 'cursor' && schema) schema.description = 'A next_cursor this API returned; anything else is 400';
    if (p.name === 'after' && schema) schema.description = 'A next_cursor this API returned; anything else is 400';
  }
}

export function buildV1Document(): object {
  return buildOpenApiDocument(OPERATIONS, {
    title: 'Dispatch Hub API',
    base: '/v1',
    components: {
      Error: errorSchema,
      Health: healthSchema,
      Me: meSchema,
      RateLimitStatus: rateLimitStatusSchema,
      Stop: stopResourceSchema,
      StopCreate: stopCreateSchema,
      StopPatch: stopPatchSchema,
      StopHistory: historySchema,
      Import: importSchema,
      ImportCreated: importCreatedSchema,
      Driver: driverResourceSchema,
      DriverCreate: driverCreateSchema,
      DriverLocation: driverLocationSchema,
      DriverLive: driverLiveSchema,
      Route: routeResourceSchema,
      RouteCreate: routeCreateSchema,
      RoutePatch: routePatchSchema,
      Subscription: subscriptionResourceSchema,
      SubscriptionCreate: subscriptionCreateSchema,
      SubscriptionPatch: subscriptionPatchSchema,
      Delivery: deliveryResourceSchema,
      Attempt: attemptResourceSchema,
      Event: eventItemSchema,
      EventsPage: eventsPageSchema,
      Recovery: recoveryResourceSchema,
      RecoverRequest: recoverSchema,
      ReplayRequest: replaySchema,
      SubscriptionStats: statsResourceSchema,
      ZippexWebhook: zippexWebhookSchema,
      ZippexWebhookCreate: zippexWebhookCreateSchema,
      AssignRequest: ACTION_SCHEMAS.assign,
      // unassign, pick-up and depart take the same body: one name.
      MoveRequest: ACTION_SCHEMAS.depart,
      CompleteRequest: ACTION_SCHEMAS.complete,
      FailRequest: ACTION_SCHEMAS.fail,
      CancelRequest: ACTION_SCHEMAS.cancel,
    },
    tags: {
      Public: 'Health, time, versions and this document; no key needed',
      Operations: 'Probes and metrics for the platform running the hub',
      Account: 'The presented key: its tenant, scopes, quotas and rate limit',
      Stops: 'Create, list, read and change stops',
      'Stop lifecycle': 'Move a stop through its statuses; each move is an event',
      'Bulk import': 'Up to 500 stops at once, all or nothing',
      Drivers: 'Drivers, their shifts and positions',
      Routes: "A driver's ordered run of stops",
      Webhooks: 'Subscriptions in a provider dialect, their deliveries and tries',
      Recovery: 'Re-send what a subscription missed, and its delivery statistics',
      'Zippex webhooks': "Webhook registration the way Zippex's own API does it",
      Events: 'The events feed, for polling instead of (or beside) webhooks',
    },
    version: API_VERSION,
    description: 'Stops, drivers, provider-dialect webhooks and the events feed.',
    credentials: 'dh_live_… or dh_test_… API key',
    errorSchema,
    validation: { status: 400, schema: errorSchema },
    refine: refineV1,
  });
}
