/**
 * The contract of a subscription's retry timer (`retries/<subscription id>`). Deliveries that
 * must wait keep their next try time in Postgres (`next_retry_at`, from the end of their own
 * try). One workflow per subscription with waiting deliveries sleeps in a durable timer until
 * RETRY_LOOKAHEAD_MS before the earliest is due, puts everything due by then back on the queue
 * in one activity (each keeps its due time: the queue sends it then, not sooner), and sleeps
 * again; it ends when nothing waits. The lookahead absorbs the timer's own lateness (a few
 * hundred ms on a busy server), so every try goes out on time. So an outage costs Temporal one workflow per failing subscription
 * and about one workflow task a second each, whatever the number of events. The try recorder
 * wakes it (signal-with-start) only when a try becomes due before its next wake-up
 * (`webhook_subscriptions.retry_wake_at`).
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProviderName } from '../dialects/profiles';
import { SA } from './search-attributes';
import { fairShareOf } from './fair-share';

export const subscriptionRetriesWorkflowId = (subscriptionId: string): string => `retries/${subscriptionId}`;

export interface SubscriptionRetriesInput {
  subscriptionId: string;
  /** Whose subscription it is: a tenant's, or a partner's. */
  tenantId: string | null;
  partnerId: string | null;
  provider: ProviderName;
  /** Where it goes (the URL's host), for people reading the UI. */
  host: string;
}

/** A waiting delivery as the timer last saw it. */
export interface WaitingDelivery {
  deliveryId: string;
  eventType: string;
  /** Tries made so far, and how many it may have. */
  attempt: number;
  maxAttempts: number;
  nextTryAt: string;
  lastError: string | null;
}

/** What one look at the subscription found (after putting what was due back on the queue). */
export interface RetriesSnapshot {
  /** The database's clock at the look: due times are on it, and the timer's own clock may differ. */
  dbNow: string;
  /** Put back on the queue by this look. */
  requeued: number;
  /** Still waiting. */
  waiting: number;
  /** When the earliest of them is due; null when none waits. */
  nextDueAt: string | null;
  /** The oldest waiting delivery (by creation) and the try it is on. */
  oldest: { attempt: number; maxAttempts: number } | null;
  /** The first waiting deliveries by due time (at most SNAPSHOT_SIZE): the API lists them all. */
  sample: WaitingDelivery[];
}

export const SNAPSHOT_SIZE = 50;

/** A look puts back on the queue what falls due within this much; the next look is at least RETRY_LOOK_GAP_MS later. */
export const RETRY_LOOKAHEAD_MS = 2_000;
/**
 * Looks are at least this far apart, so a subscription failing without pause costs at most one
 * workflow task a second; each look covers the next RETRY_LOOKAHEAD_MS, so nothing falls between.
 */
export const RETRY_LOOK_GAP_MS = 1_000;

export interface SubscriptionRetriesState {
  input: SubscriptionRetriesInput;
  waiting: number;
  next_try_at: string | null;
  /** A page of the waiting deliveries the last look saw, earliest first. */
  deliveries: WaitingDelivery[];
  /** Where the next page starts, or null; past the sample, `GET /v1/subscriptions/:id/deliveries?status=retrying` lists the rest. */
  next_offset: number | null;
}

export interface SubscriptionRetriesActivities {
  /**
   * Puts every delivery of the subscription due within RETRY_LOOKAHEAD_MS of `cutoff` (the
   * database's clock as the timer tells it; at least its now) back on the queue; says what still
   * waits.
   */
  requeueDueRetries(input: { subscriptionId: string; cutoff?: string }): Promise<RetriesSnapshot>;
}

export type SubscriptionRetriesWorkflow = (input: SubscriptionRetriesInput) => Promise<{ looks: number; requeued: number }>;

/** A try of this subscription is due at `at` (ISO), possibly before the timer's next wake-up. */
export const retryDueSignal = defineSignal<[{ at: string }]>('due');
export const subscriptionRetriesStateQuery = defineQuery<SubscriptionRetriesState, [{ offset?: number; limit?: number }?]>('state');

/** One line for the UI: "37 deliveries waiting · next try 12:03:05 UTC · oldest on try 3 of 8". */
export function retriesSummary(s: Pick<RetriesSnapshot, 'waiting' | 'nextDueAt' | 'oldest'>): string {
  if (s.waiting === 0 || !s.nextDueAt) return 'nothing waiting';
  const parts = [`${s.waiting} ${s.waiting === 1 ? 'delivery' : 'deliveries'} waiting`, `next try ${s.nextDueAt.slice(11, 19)} UTC`];
  if (s.oldest) parts.push(`oldest on try ${s.oldest.attempt} of ${s.oldest.maxAttempts}`);
  return parts.join(' · ');
}

export function subscriptionRetriesOptions(taskQueue: string, input: SubscriptionRetriesInput): WorkflowStartOptions<SubscriptionRetriesWorkflow> {
  return {
    workflowId: subscriptionRetriesWorkflowId(input.subscriptionId),
    taskQueue,
    args: [input],
    // A subscription waits again after a quiet spell: a new run under the same id.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    ...fairShareOf(input.tenantId ?? input.partnerId ?? input.subscriptionId),
    typedSearchAttributes: [
      input.tenantId ? { key: SA.TenantId, value: input.tenantId } : { key: SA.PartnerId, value: input.partnerId ?? '' },
      { key: SA.SubscriptionId, value: [input.subscriptionId] },
      { key: SA.Provider, value: [input.provider] },
    ],
    staticSummary: `retries of ${input.subscriptionId} → ${input.host} (${input.provider})`,
  };
}
