/** The Kourier dialect: its names, words, schedule, signing and envelope, from its seed. */
import { DEFAULT_DELAYS, NO_SUCCESS_5_DAYS, type ProviderProfile, reasonOf, stopOf, wordOf } from './dialect';
import { bearerToken } from './signature-schemes';

export const kourier: ProviderProfile = {
  name: 'kourier',
  names: {
    'stop.created': ['delivery.created'],
    'stop.updated': ['delivery.updated'],
    'stop.assigned': ['delivery.updated'],
    'stop.unassigned': ['delivery.updated'],
    'stop.picked_up': ['delivery.updated'],
    'stop.in_transit': ['delivery.updated'],
    'stop.completed': ['delivery.updated'],
    'stop.failed': ['delivery.updated'],
    'stop.cancelled': ['delivery.cancelled'],
    test: ['delivery.created'],
  },
  statusWords: { completed: 'delivered' },
  // The seed: delivery.updated is "a delivery's status is updated".
  onlyOnStatusChange: ['stop.updated'],
  timeoutMs: 15_000,
  retryDelaysSeconds: DEFAULT_DELAYS,
  multipleSignatures: false,
  sign: bearerToken,
  secretFormat: 'base64',
  disable: NO_SUCCESS_5_DAYS,
  envelope: ({ event, name }) => {
    const s = stopOf(event);
    const reason = reasonOf(s);
    return { event: name, delivery_id: s.id, status: wordOf(kourier, s), timestamp: event.created_at, ...(reason ? { reason } : {}) };
  },
};
