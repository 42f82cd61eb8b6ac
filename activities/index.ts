/** All activities, built from their dependencies. Workflows import only the type. */
import type { ActivityDeps } from './deps';
import { geocodingActivities } from './geocoding';
import { importActivities } from './imports';
import { stopActivities } from './stops';
import { systemActivities } from './system';
import { webhookActivities } from './webhooks';

export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
    ...stopActivities(deps),
    ...geocodingActivities(deps),
    ...webhookActivities(deps),
    ...importActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
