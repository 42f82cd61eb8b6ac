/**
 * A trip's status as a broker sees it: Naveera's words, mapped from the hub's lifecycle (and a
 * failure's reason) by the naveera row of the profile table, so the Partner API and the naveera
 * webhook dialect can never disagree. `en_route` is a Naveera status the hub never reaches.
 */
import { FAILURE_REASONS, STOP_STATUSES, type StopStatus } from '../stops/lifecycle';
import { statusWordOf } from '../dialects/profiles';
import { PARTNER_DIALECT } from './dialect';

export const TRIP_STATUSES = ['scheduled', 'assigned', 'en_route', 'arrived', 'in_progress', 'finished', 'canceled', 'no_show'] as const;
export type TripStatus = (typeof TRIP_STATUSES)[number];

export const TRIP_GROUPS = ['completed', 'canceled', 'in_progress', 'not_started'] as const;
export type TripGroup = (typeof TRIP_GROUPS)[number];

/** The seed's groups; every status not in the first three is `not_started`. */
const GROUPED: Record<Exclude<TripGroup, 'not_started'>, readonly TripStatus[]> = {
  completed: ['finished'],
  canceled: ['canceled', 'no_show'],
  in_progress: ['en_route', 'arrived', 'in_progress'],
};

export const tripStatusOf = (hubStatus: string, failureReason?: string | null): TripStatus => statusWordOf(PARTNER_DIALECT, hubStatus, failureReason) as TripStatus;

export function tripStatusesOf(group: TripGroup): TripStatus[] {
  if (group !== 'not_started') return [...GROUPED[group]];
  const grouped = new Set(Object.values(GROUPED).flat());
  return TRIP_STATUSES.filter((s) => !grouped.has(s));
}

/** What a stop must be to show as one of these trip statuses: a status, and for `failed` the reasons. */
export interface HubStatusMatch {
  status: StopStatus;
  /** Only for `failed`: the failure reasons that give one of the statuses. */
  reasons?: string[];
}

export function hubStatusesFor(statuses: readonly TripStatus[]): HubStatusMatch[] {
  return STOP_STATUSES.flatMap((status): HubStatusMatch[] => {
    if (status !== 'failed') return statuses.includes(tripStatusOf(status)) ? [{ status }] : [];
    const reasons = FAILURE_REASONS.filter((r) => statuses.includes(tripStatusOf(status, r)));
    return reasons.length ? [{ status, reasons }] : [];
  });
}

export const isTripStatus = (word: string): word is TripStatus => (TRIP_STATUSES as readonly string[]).includes(word);
