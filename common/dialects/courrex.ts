/** The Courrex dialect: its names, words, schedule, signing and envelope, from its seed. */
import { DEFAULT_DELAYS, NO_SUCCESS_5_DAYS, type ProviderProfile, routeOf } from './dialect';
import { bodyHmacHex } from './signature-schemes';

export const courrex: ProviderProfile = {
  name: 'courrex',
  // The seed: driver.online "a driver starts an active route", driver.offline "finishes a
  // route or signs out". Going online is not starting a route, and no name fits an unassignment.
  names: {
    'stop.created': ['stop.created'],
    'stop.assigned': ['stop.assigned'],
    'stop.completed': ['stop.completed'],
    'stop.failed': ['stop.failed'],
    'route.started': ['driver.online'],
    'route.completed': ['driver.offline'],
    'driver.offline': ['driver.offline'],
    test: ['stop.created'],
  },
  timeoutMs: 15_000,
  retryDelaysSeconds: DEFAULT_DELAYS,
  multipleSignatures: false,
  sign: bodyHmacHex('X-Courrex-Signature'),
  secretFormat: 'hex',
  disable: NO_SUCCESS_5_DAYS,
  // The seed shows no envelope; this mirrors its REST objects. A route's start or end is told
  // as the driver it concerns, with the route it started or finished.
  envelope: ({ event, name, messageId }) => {
    let data: unknown = event.payload;
    if (event.type.startsWith('route.')) {
      const r = routeOf(event);
      data = { id: r.driver.id, name: r.driver.name, status: name === 'driver.online' ? 'online' : 'offline', active_route_id: name === 'driver.online' ? r.id : null, route: { id: r.id, name: r.name, status: r.status, stop_ids: r.stops.map((x) => x.stop_id) } };
    }
    return { id: messageId, type: name, created_at: event.created_at, data };
  },
};
