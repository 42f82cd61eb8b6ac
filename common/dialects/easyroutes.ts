/** The EasyRoutes dialect: its names, words, schedule, signing and envelope, from its seed. */
import { deterministicUuid } from '../ids';
import type { RouteResource } from '../schemas/routes';
import { DEFAULT_DELAYS, NO_SUCCESS_5_DAYS, type ProviderProfile, reasonOf, routeOf, statusWordIn, stopOf, wordOf } from './dialect';
import { bodyHmacBase64OfDecodedKey, withHeaders } from './signature-schemes';

export const easyroutes: ProviderProfile = {
  name: 'easyroutes',
  names: {
    'stop.created': ['STOP_STATUS_UPDATED'],
    'stop.updated': ['STOP_STATUS_UPDATED'],
    'stop.assigned': ['STOP_STATUS_UPDATED'],
    'stop.unassigned': ['STOP_STATUS_UPDATED'],
    'stop.picked_up': ['STOP_STATUS_UPDATED'],
    'stop.in_transit': ['STOP_STATUS_UPDATED'],
    'stop.completed': ['STOP_STATUS_UPDATED'],
    'stop.failed': ['STOP_STATUS_UPDATED'],
    'stop.cancelled': ['STOP_STATUS_UPDATED'],
    'route.created': ['ROUTE_CREATED'],
    'route.updated': ['ROUTE_UPDATED'],
    'route.deleted': ['ROUTE_DELETED'],
    'route.dispatched': ['ROUTE_DISPATCHED'],
    'route.started': ['ROUTE_STARTED'],
    'route.completed': ['ROUTE_COMPLETED'],
    test: ['TEST'],
  },
  statusWords: { pending: 'PENDING', assigned: 'READY', picked_up: 'OUT_FOR_DELIVERY', in_transit: 'OUT_FOR_DELIVERY', completed: 'DELIVERED', failed: 'ATTEMPTED', cancelled: 'CANCELLED' },
  // The seed: STOP_STATUS_UPDATED is "an individual route stop status has changed".
  onlyOnStatusChange: ['stop.updated', 'stop.assigned', 'stop.unassigned', 'stop.picked_up', 'stop.in_transit', 'stop.completed', 'stop.failed', 'stop.cancelled'],
  timeoutMs: 15_000,
  retryDelaysSeconds: DEFAULT_DELAYS,
  multipleSignatures: false,
  sign: withHeaders(bodyHmacBase64OfDecodedKey('X-EasyRoutes-Hmac-Sha256'), (input) => ({
    'X-EasyRoutes-Event-Id': (JSON.parse(input.body) as { eventId: string }).eventId,
    'X-EasyRoutes-Topic': input.name,
    'X-EasyRoutes-Event-Timestamp': input.eventTimestamp,
    'X-EasyRoutes-Version': 'V2024_07',
    ...(input.objectId ? { 'X-EasyRoutes-Object-Id': input.objectId } : {}),
  })),
  secretFormat: 'base64',
  disable: NO_SUCCESS_5_DAYS,
  envelope: ({ event, name, messageId }) => {
    const base = {
      eventId: `evt-${deterministicUuid(messageId)}`,
      topic: name,
      eventTimestamp: event.created_at.replace(/\.\d{3}Z$|Z$/, '+00:00'),
      apiVersion: 'V2024_07',
    };
    if (name === 'TEST') return base;
    if (event.type.startsWith('route.')) {
      const r = routeOf(event);
      return { ...base, objectId: r.id, payload: easyRoutesRoute(r) };
    }
    const s = stopOf(event);
    return {
      ...base,
      objectId: s.id,
      payload: {
        id: s.id,
        status: wordOf(easyroutes, s),
        address: s.address,
        name: s.customer_name,
        phone: s.phone,
        notes: s.notes,
        externalId: s.external_ref,
        driverId: s.driver_id,
        lat: s.geocoded?.lat ?? null,
        lng: s.geocoded?.lng ?? null,
        timeWindow: s.time_window ? { start: s.time_window.from, end: s.time_window.to } : null,
        reason: reasonOf(s),
        // Snapshots without updated_at (older events, hand-made ones) were last changed when made.
        updatedAt: s.updated_at ?? s.created_at,
      },
    };
  },
};

/** EasyRoutes' Route object (its ROUTE_* topics carry it; driver.online/offline are not routes). */
const easyRoutesRoute = (r: RouteResource) => ({
  id: r.id,
  name: r.name,
  status: r.status.toUpperCase(),
  driver: r.driver,
  stops: r.stops.map((s) => ({ id: s.stop_id, position: s.position, status: statusWordIn(easyroutes, s.status), address: s.address, name: s.customer_name })),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  dispatchedAt: r.dispatched_at,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});
