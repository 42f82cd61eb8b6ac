/**
 * Sends a change to a stop's workflow: once the workflow is known to run, a plain Update (less
 * work for the server than Update-with-Start); otherwise, or if it turns out not to, Update-with-
 * Start with the stop as just read: no change can have been applied without the workflow. The
 * API and the route workflow's activities move stops this way.
 */
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { StopRow } from '../db/schema';
import { toStopResource } from '../stops/resource';
import type { StopLifecycleWorkflow } from './stop-lifecycle';
import { stopWorkflowId, stopWorkflowOptions } from './stop-lifecycle';

export async function sendStopUpdate<Arg, Ret>(
  temporal: Client,
  opts: { taskQueue: string; workflow: StopLifecycleWorkflow; stop: Omit<StopRow, 'trip_id'>; updateId?: string },
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  const { stop, updateId } = opts;
  if (stop.lifecycle_started_at) {
    try {
      return await temporal.workflow.getHandle(stopWorkflowId(stop.id)).executeUpdate(update, { args: [arg], updateId });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return temporal.workflow.executeUpdateWithStart(update, {
    args: [arg],
    updateId,
    startWorkflowOperation: new WithStartWorkflowOperation(opts.workflow, stopWorkflowOptions(opts.taskQueue, { tenantId: stop.tenant_id, stopId: stop.id, existing: toStopResource(stop) })),
  });
}
