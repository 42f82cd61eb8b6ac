/**
 * The recovery workflow's contract. One workflow per recovery or replay (`recover/<id>`): it
 * hands the recovery's deliveries back to the queue in event order, a batch at a time, the next
 * batch only once the last has had its first try, so a recovering endpoint is not flooded;
 * cancelling it stops what was not yet handed over.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { SA } from './search-attributes';

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
}

export interface RecoveryActivities {
  /** Hands over the next batch if none is in flight; says where the recovery stands. */
  recoveryStep(input: RecoveryWorkflowInput): Promise<RecoveryStep>;
  finishRecovery(input: { recoveryId: string; status: 'completed' | 'cancelled' }): Promise<void>;
}

export function recoveryWorkflowOptions(taskQueue: string, input: RecoveryWorkflowInput): WorkflowStartOptions<RecoveryWorkflow> {
  return {
    workflowId: recoveryWorkflowId(input.recoveryId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.SubscriptionId, value: [input.subscriptionId] },
    ],
  };
}
