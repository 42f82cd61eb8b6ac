/**
 * The recovery workflow's contract. One workflow per recovery or replay (`recover/<id>`): it
 * hands the recovery's deliveries back to the queue in event order, a batch at a time, the next
 * batch only once the last has had its first try, so a recovering endpoint is not flooded;
 * cancelling it stops what was not yet handed over. The waiting happens inside the step activity
 * (heartbeating, looking at Postgres), so the workflow runs one activity per batch instead of
 * polling on a timer.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { SA } from './search-attributes';
import { fairShareOf } from './fair-share';

export const recoveryWorkflowId = (recoveryId: string): string => `recover/${recoveryId}`;

export interface RecoveryWorkflowInput {
  tenantId: string;
  recoveryId: string;
  subscriptionId: string;
  /** Deliveries handed over per step: the subscription's in-flight limit. */
  batch: number;
}

export type RecoveryWorkflow = (input: RecoveryWorkflowInput) => Promise<{ status: 'completed' | 'cancelled'; requeued: number }>;

export interface RecoveryStep {
  /** Handed over in this step. */
  requeued: number;
  /** Not handed over yet. */
  remaining: number;
  /** Handed over and still waiting for its first try, or for the wait a 429/503 asked for: the next batch waits for these. */
  inFlight: number;
  /** The recovery was ended meanwhile (cancelled from outside the workflow): nothing more to do. */
  ended: boolean;
}

/** How often a waiting step looks at its batch in Postgres, and heartbeats. */
export const RECOVERY_POLL_MS = 1_000;
/** A step that waited this long returns even with its batch in flight (a long Retry-After): the workflow simply runs another. */
export const RECOVERY_STEP_MAX_WAIT_MS = 10 * 60_000;

export interface RecoveryActivities {
  /**
   * Hands over the next batch if none is in flight, then waits until none is (or the recovery
   * ended, or RECOVERY_STEP_MAX_WAIT_MS passed); says where the recovery stands.
   */
  recoveryStep(input: RecoveryWorkflowInput): Promise<RecoveryStep>;
  finishRecovery(input: { recoveryId: string; status: 'completed' | 'cancelled' }): Promise<void>;
}

export function recoveryWorkflowOptions(taskQueue: string, input: RecoveryWorkflowInput): WorkflowStartOptions<RecoveryWorkflow> {
  return {
    workflowId: recoveryWorkflowId(input.recoveryId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    ...fairShareOf(input.tenantId),
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.SubscriptionId, value: [input.subscriptionId] },
    ],
  };
}
