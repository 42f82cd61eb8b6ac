/**
 * Temporal Task Queue Fairness: tasks on one queue with different fairness keys take turns, so
 * one tenant's backlog (a 50,000-stop import, a burst of first starts, a hundred waking retry
 * timers) does not hold up another tenant's tasks on the same queue. The key is the tenant (or
 * the partner, for a partner's subscription); activities inherit their workflow's priority.
 * Needs Temporal Server 1.29+ with `matching.enableFairness` on: the dev server gets it as a
 * `--dynamic-config-value` (dev/temporal-server.ts), the cluster in its dynamic config
 * (dev/temporal-cluster.ts). A server without it ignores the key and serves tasks in order.
 */
import type { Priority } from '@temporalio/common';

export const fairShareOf = (owner: string): { priority: Priority } => ({ priority: { fairnessKey: owner } });
