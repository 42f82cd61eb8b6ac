/** The Zippex dialect: its names, words, schedule, signing and envelope, from its seed. */
import { HOUR, MIN, type ProviderProfile, reasonOf, stopOf, wordOf } from './dialect';
import { timestampedHex } from './signature-schemes';

export const zippex: ProviderProfile = {
  name: 'zippex',
  names: {
    'stop.created': ['delivery.created'],
    'stop.assigned': ['delivery.driver_assigned'],
    'stop.picked_up': ['delivery.picked_up'],
    'stop.in_transit': ['delivery.in_transit'],
    'stop.completed': ['delivery.delivered'],
    'stop.failed': ['delivery.failed'],
    'stop.cancelled': ['delivery.cancelled'],
    test: ['delivery.created'],
  },
  statusWords: { assigned: 'driver_assigned', completed: 'delivered' },
  timeoutMs: 10_000,
  // The seed: 1st retry 1 min, 2nd 10 min, 3rd (final) 1 h — four tries in all.
  retryDelaysSeconds: [MIN, 10 * MIN, HOUR],
  multipleSignatures: true,
  sign: timestampedHex('Zippex-Signature'),
  secretFormat: 'whsec',
  disable: { kind: 'failure_rate', windowHours: 24, threshold: 0.9 },
  envelope: ({ event, name, messageId }) => {
    const stop = stopOf(event);
    const completedAt = (stop.completion as { completed_at?: string } | null)?.completed_at;
    const reason = reasonOf(stop);
    return {
      id: messageId,
      type: name,
      created_at: event.created_at,
      data: {
        id: stop.id,
        status: wordOf(zippex, stop),
        ...(stop.fee !== null && stop.fee !== undefined ? { fee: stop.fee, currency: stop.currency?.toLowerCase() ?? null } : {}),
        pickup: { address: stop.pickup?.address ?? null, name: stop.pickup?.name ?? null },
        dropoff: { address: stop.address, name: stop.customer_name },
        metadata: { order_id: stop.external_ref },
        ...(completedAt ? { delivered_at: completedAt } : {}),
        ...(reason ? { reason } : {}),
      },
    };
  },
};
