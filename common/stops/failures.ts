/**
 * Why a stop (or route) change was refused. Workflows raise these as ApplicationFailure types; the API maps
 * each to its HTTP status. Pure, so workflow code can import it.
 */
export const STOP_FAILURES = {
  InvalidTransition: 409,
  Conflict: 409,
  DriverUnavailable: 409,
  ZoneMismatch: 409,
  DriverNotFound: 400,
  /** A value the database refused (a data exception): the request, not the server, is at fault. */
  InvalidInput: 400,
  StopNotFound: 404,
  RouteNotFound: 404,
  /** Some of a route's stops cannot be given to its driver; details name each and why. */
  RouteNotDispatchable: 409,
  /** Over one of the tenant's quotas (common/quotas.ts); details name it. */
  QuotaExceeded: 429,
} as const;

export type StopFailureType = keyof typeof STOP_FAILURES;

export interface StopRejection {
  ok: false;
  type: StopFailureType;
  message: string;
  details: Record<string, unknown>;
}
