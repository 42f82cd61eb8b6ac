/** How a stop's lifecycle workflow is started, the same from the API and from a bulk import. */
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
    // A retried start (a replayed request, a re-run import step) joins the running workflow.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.StopId, value: input.stopId },
    ],
  };
}
