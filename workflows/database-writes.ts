/**
 * How the lifecycle workflows (stops, routes) run their database writes: as local activities,
 * inside the workflow task, so a change costs one server round trip instead of three. Retried
 * through a short outage (about 40 s), then the change fails with a visible error and the caller
 * retries; a value the database refuses fails at once.
 */
import type { LocalActivityOptions } from '@temporalio/workflow';

export const DATABASE_WRITES: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 12 },
};
