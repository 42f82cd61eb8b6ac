/**
 * The registry of dialects: each is one file in this folder (a `ProviderProfile`, see
 * ./dialect.ts) and one line in PROFILES below. Everything else reads a dialect through here:
 * its names, words, schedule and signing.
 */
import { deterministicId } from '../ids';
import type { StopResource } from '../schemas/stops';
import { courrex } from './courrex';
import { type CanonicalEvent, failureReasonOf, type HubEvent, type ProviderProfile, statusWordIn } from './dialect';
import { easyroutes } from './easyroutes';
import { kourier } from './kourier';
import { naveera } from './naveera';
import { standard } from './standard';
import { zippex } from './zippex';

export { CANONICAL_EVENTS, type CanonicalEvent, type DisablePolicy, type EnvelopeInput, type HubEvent, type ProviderProfile, reasonOf } from './dialect';
export { NAVEERA_API_VERSION, NAVEERA_FAILED_STATUS, naveeraEventTrip, naveeraTrip, type TripFacts, tripFactsOfStop } from './naveera-trip';

export const PROFILES = { courrex, kourier, zippex, easyroutes, naveera, standard } satisfies Record<string, ProviderProfile>;

export type ProviderName = keyof typeof PROFILES;
/** The dialects' names, in the registry's order (a tuple, for zod enums). */
export const PROVIDERS = Object.keys(PROFILES) as [ProviderName, ...ProviderName[]];

/** A hub status in a dialect's words; a failed stop's word may depend on its reason (naveera). */
export const statusWordOf = (provider: ProviderName, status: string | null | undefined, failureReason?: string | null): string | null =>
  statusWordIn(PROFILES[provider], status, failureReason);

/** Every name a subscription of this dialect may put in its `events` filter. */
export function eventNamesOf(provider: ProviderName): string[] {
  const names = new Set<string>();
  for (const [canonical, list] of Object.entries(PROFILES[provider].names)) {
    if (canonical !== 'test') for (const n of list) names.add(n);
  }
  return [...names];
}

/** The names under which this event reaches a subscriber of the dialect, after its filter. */
export function deliveryNames(provider: ProviderName, event: Pick<HubEvent, 'type' | 'previous_status' | 'payload'>, filter: readonly string[]): string[] {
  const profile = PROFILES[provider];
  if (profile.onlyOnStatusChange?.includes(event.type)) {
    const stop = event.payload as unknown as StopResource;
    const reason = stop.failure ? failureReasonOf(stop) : null;
    if (statusWordOf(provider, event.previous_status, reason) === statusWordOf(provider, stop.status, reason)) return [];
  }
  const names = [...(profile.names[event.type] ?? [])];
  if (event.type === 'test' || filter.length === 0 || filter.includes('*')) return names;
  return names.filter((n) => filter.includes(n));
}

/** The receiver-facing message id: the event id, suffixed when one event carries two names. */
export function messageIdFor(provider: ProviderName, eventType: CanonicalEvent, eventId: string, name: string): string {
  const names = PROFILES[provider].names[eventType] ?? [];
  const index = names.indexOf(name);
  return index > 0 ? `${eventId}_${name.replace(/[^a-z_]/gi, '_')}` : eventId;
}

/** Waits between tries for a subscription: its own `retry_schedule`, else its dialect's. */
export function retryDelaysOf(sub: { provider: ProviderName; retry_schedule: readonly number[] | null }): number[] {
  return [...(sub.retry_schedule ?? PROFILES[sub.provider].retryDelaysSeconds)];
}

/** Tries in one series (a new delivery, or one sent again): the first and each retry. */
export const triesPerSeries = (sub: { provider: ProviderName; retry_schedule: readonly number[] | null }): number => retryDelaysOf(sub).length + 1;

/** One delivery per event, subscription and name: the same three always give the same id. */
export const deliveryIdFor = (eventId: string, subscriptionId: string, name: string): string =>
  deterministicId('dlv', eventId, subscriptionId, name);
