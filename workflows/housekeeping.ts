/** Periodic jobs, each started by a Temporal Schedule (see worker/schedules.ts). */
import { proxyActivities } from '@temporalio/workflow';
import type { HousekeepingActivities } from '../common/temporal/housekeeping';

const acts = proxyActivities<HousekeepingActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

/** Finishes what a crash or an outage left undone: lifecycle starts, hand-offs to retry workflows. */
export async function outboxSweepWorkflow(): Promise<number> {
  return acts.sweepOutbox({ limit: 1000 });
}

/** Switches off subscriptions that keep failing, per their dialect's rule. */
export async function subscriptionHealthWorkflow(): Promise<string[]> {
  return acts.checkSubscriptionHealth();
}

/** Purges events older than their 7-day retention (in bounded batches) and expired request records. */
export async function eventRetentionWorkflow(): Promise<number> {
  const batch = 5000;
  await acts.purgeExpiredRecords();
  let total = 0;
  for (let round = 0; round < 20; round++) {
    const purged = await acts.purgeExpiredEvents({ limit: batch });
    total += purged;
    if (purged < batch) break;
  }
  return total;
}
