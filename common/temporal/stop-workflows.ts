/** How a stop's lifecycle workflow is started: by the outbox relay, an import, or a move's Update-with-Start. */
import type { WorkflowStartOptions } from '@temporalio/client';
import type { stopLifecycleWorkflow, StopWorkflowInput } from '../../workflows/stop-lifecycle';
import { SA } from './search-attributes';

export const stopWorkflowId = (stopId: string): string => `stop/${stopId}`;

export function stopWorkflowOptions(
  taskQueue: string,
  input: StopWorkflowInput,
): WorkflowStartOptions<typeof stopLifecycleWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' } {
  return {
    workflowId: stopWorkflowId(input.stopId),
    taskQueue,
    args: [input],
    // A second start (the relay and a move racing, a re-run import step) joins the running
    // workflow; a finished one is never started again, as its stop can no longer change.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.StopId, value: input.stopId },
    ],
  };
}
