/**
 * The failure-rate watch's contract. A dialect that switches a subscription off for a failure
 * rate over a window (Zippex: over 90 % for 24 h, even with occasional successes) gets one
 * workflow per failing subscription (`subscription-watch/<id>`): started by the health check when
 * the rate first crosses the line, it holds the window in a durable timer, then judges every try
 * made since it began. The Temporal UI shows which subscriptions are on watch.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { SA } from './search-attributes';

export const subscriptionWatchWorkflowId = (subscriptionId: string): string => `subscription-watch/${subscriptionId}`;

export interface SubscriptionWatchInput {
  subscriptionId: string;
  windowHours: number;
  /** Disabled when more than this share of the window's tries failed (0.9 = 90 %). */
  threshold: number;
}

export interface WatchVerdict {
  disabled: boolean;
  tries: number;
  failed: number;
}

export type SubscriptionWatchWorkflow = (input: SubscriptionWatchInput) => Promise<WatchVerdict>;

export interface SubscriptionWatchActivities {
  /** The database's time now: tries from then on are the window's. */
  beginFailureWatch(input: { subscriptionId: string }): Promise<string>;
  /** Counts the tries since `since`; switches the subscription off when too many failed. */
  judgeFailureWatch(input: SubscriptionWatchInput & { since: string }): Promise<WatchVerdict>;
}

/** One watch per subscription at a time; a later one may follow a finished one. */
export function subscriptionWatchOptions(taskQueue: string, input: SubscriptionWatchInput): WorkflowStartOptions<SubscriptionWatchWorkflow> {
  return {
    workflowId: subscriptionWatchWorkflowId(input.subscriptionId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: SA.SubscriptionId, value: [input.subscriptionId] }],
  };
}
