/** All activities, built from their dependencies. Workflows import only the type. */
import { ApplicationFailure } from '@temporalio/common';
import { isPermanentDbError, PERMANENT_DATA_ERROR } from '../common/db/errors';
import type { ActivityDeps } from './deps';
import { geocodingActivities } from './geocoding';
import { importActivities } from './imports';
import { recoveryActivities } from './recoveries';
import { routeActivities } from './routes';
import { stopActivities } from './stops';
import { systemActivities } from './system';
import { subscriptionRetriesActivities } from './subscription-retries';
import { housekeepingActivities } from './housekeeping';

/**
 * Every activity, so that a database error that will fail the same way on every retry (bad
 * data, a violated constraint) ends its retries at once, as a visible non-retryable failure,
 * instead of looping until an operator notices.
 */
function failFastOnPermanentErrors<T extends Record<string, (...args: any[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, (...args: any[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (!isPermanentDbError(err)) throw err;
        const e = err as Error & { code: string };
        throw ApplicationFailure.create({ type: PERMANENT_DATA_ERROR, message: `${name}: ${e.message} (SQLSTATE ${e.code})`, nonRetryable: true });
      }
    };
  }
  return wrapped as T;
}

export function createActivities(deps: ActivityDeps) {
  return failFastOnPermanentErrors({
    ...systemActivities(deps),
    ...stopActivities(deps),
    ...geocodingActivities(deps),
    ...subscriptionRetriesActivities(deps),
    ...housekeepingActivities(deps),
    ...importActivities(deps),
    ...routeActivities(deps),
    ...recoveryActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
