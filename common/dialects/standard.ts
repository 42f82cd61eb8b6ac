/** The Standard Webhooks dialect: its names, words, schedule, signing and envelope, from its seed. */
import { CANONICAL_EVENTS, type CanonicalEvent, DEFAULT_DELAYS, NO_SUCCESS_5_DAYS, type ProviderProfile } from './dialect';
import { standardWebhooks } from './signature-schemes';

export const standard: ProviderProfile = {
  name: 'standard',
  names: Object.fromEntries(
    CANONICAL_EVENTS.map((e) => [e, [e]]),
  ) as Partial<Record<CanonicalEvent, readonly string[]>>,
  timeoutMs: 15_000,
  retryDelaysSeconds: DEFAULT_DELAYS,
  multipleSignatures: true,
  sign: standardWebhooks,
  secretFormat: 'whsec',
  disable: NO_SUCCESS_5_DAYS,
  envelope: ({ event }) => ({ type: event.type, timestamp: event.created_at, data: event.payload }),
};
