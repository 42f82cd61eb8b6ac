/**
 * A trip's status as a broker sees it: Naveera's words, mapped from the hub's lifecycle by the
 * naveera row of the profile table (STATUS_WORDS), so the Partner API and the naveera webhook
 * dialect can never disagree. `en_route` is a Naveera status the hub's lifecycle never reaches.
 */
import { STOP_STATUSES, type StopStatus } from '../stops/lifecycle';
import { STATUS_WORDS } from '../webhooks/profiles';

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

export const tripStatusOf = (hubStatus: string): TripStatus => STATUS_WORDS.naveera[hubStatus] as TripStatus;

export function tripStatusesOf(group: TripGroup): TripStatus[] {
  if (group !== 'not_started') return [...GROUPED[group]];
  const grouped = new Set(Object.values(GROUPED).flat());
  return TRIP_STATUSES.filter((s) => !grouped.has(s));
}

/** The hub statuses that show as any of these trip statuses. */
export const hubStatusesFor = (statuses: readonly TripStatus[]): StopStatus[] => STOP_STATUSES.filter((s) => statuses.includes(tripStatusOf(s)));

export const isTripStatus = (word: string): word is TripStatus => (TRIP_STATUSES as readonly string[]).includes(word);
