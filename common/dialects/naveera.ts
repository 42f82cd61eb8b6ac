/** The Naveera dialect: its names, words, schedule, signing and envelope, from its seed. */
import { failureReasonOf, HOUR, MIN, NO_SUCCESS_5_DAYS, type ProviderProfile, statusWordIn, stopOf } from './dialect';
import { NAVEERA_API_VERSION, NAVEERA_WORDS, naveeraEventTrip, naveeraTrip, tripFactsOfStop } from './naveera-trip';
import { SAMPLE_TRIP_ID } from './sample';
import { timestampedHex, withHeaders } from './signature-schemes';

export const naveera: ProviderProfile = {
  name: 'naveera',
  names: {
    'stop.created': ['trip.created'],
    'stop.updated': ['trip.status_changed'],
    'stop.assigned': ['trip.assigned', 'trip.status_changed'],
    'stop.unassigned': ['trip.status_changed'],
    'stop.picked_up': ['trip.status_changed'],
    'stop.in_transit': ['trip.status_changed'],
    'stop.completed': ['trip.completed', 'trip.status_changed'],
    'stop.failed': ['trip.status_changed'],
    'stop.cancelled': ['trip.canceled', 'trip.status_changed'],
    'stop.eta_updated': ['trip.eta_updated'],
    test: ['trip.created'],
  },
  ...NAVEERA_WORDS,
  // The seed: trip.status_changed is "any status change"; a plain edit is none.
  onlyOnStatusChange: ['stop.updated'],
  timeoutMs: 5_000,
  // The seed: immediate, 5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 24 h (8 tries, 29 h 12 min).
  retryDelaysSeconds: [5, 30, 2 * MIN, 10 * MIN, HOUR, 4 * HOUR, 24 * HOUR],
  multipleSignatures: true,
  sign: withHeaders(timestampedHex('X-Naveera-Signature'), (input) => ({ 'X-Naveera-Event-Type': input.name, 'X-Naveera-Event-Id': input.messageId })),
  secretFormat: 'hex',
  disable: NO_SUCCESS_5_DAYS,
  envelope: ({ event, name, messageId }) => {
    const s = stopOf(event);
    const trip = naveeraTrip(tripFactsOfStop(s, event.trip_id ?? SAMPLE_TRIP_ID), { billing: false });
    return {
      event_id: messageId,
      event_type: name,
      api_version: NAVEERA_API_VERSION,
      created_at: event.created_at,
      data: {
        trip: {
          // A stop fails from in_transit, so the previous status never depends on a reason.
          ...naveeraEventTrip(trip, statusWordIn(NAVEERA_WORDS, event.previous_status, failureReasonOf(s))),
          ...(s.eta_minutes !== undefined ? { eta_minutes: s.eta_minutes, estimated_arrival_time: s.eta_at ?? null } : {}),
        },
      },
    };
  },
};
