/**
 * Waking subscriptions' retry timers: signal-with-start, so a timer that is not running starts,
 * and one that sleeps past the named time looks sooner. Sent by the try recorder only when a wait
 * starts before the timer's next look, by the sweep for a wake-up that is overdue, and when a
 * subscription stops (its timer looks, finds nothing, and ends).
 */
import type { Client } from '@temporalio/client';
import { inParallel } from '../in-parallel';
import { retryDueSignal, type SubscriptionRetriesInput, subscriptionRetriesOptions, type SubscriptionRetriesWorkflow } from '../temporal/subscription-retries';

export interface RetryWake {
  input: SubscriptionRetriesInput;
  /** When the earliest try of the subscription is due. */
  at: Date;
}

export interface WakeTarget {
  temporal: Client;
  /** The delivery-timer task queue. */
  taskQueue: string;
  /** The timer workflow (workflows/subscription-retries.ts), passed in: common/ does not import workflows/. */
  workflow: SubscriptionRetriesWorkflow;
}

const CONCURRENCY = 16;

/** Returns the subscriptions whose timer heard; the others are left to the sweep. */
export async function wakeRetryTimers(target: WakeTarget, wakes: readonly RetryWake[], onError?: (subscriptionId: string, err: unknown) => void): Promise<string[]> {
  const woken: string[] = [];
  await inParallel(wakes, CONCURRENCY, async (w) => {
    try {
      await target.temporal.workflow.signalWithStart(target.workflow, {
        ...subscriptionRetriesOptions(target.taskQueue, w.input),
        signal: retryDueSignal,
        signalArgs: [{ at: w.at.toISOString() }],
      });
      woken.push(w.input.subscriptionId);
    } catch (err) {
      onError?.(w.input.subscriptionId, err);
    }
  });
  return woken;
}

/** host of a URL, for people reading the Temporal UI. */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
};
