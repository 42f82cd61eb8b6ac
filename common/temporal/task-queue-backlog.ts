/**
 * A task queue's workflow-task backlog as the Temporal server counts it (DescribeTaskQueue with
 * `reportStats`): what the lifecycle starter paces itself by, and what the dashboard and the
 * bench show per lane.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Workflow tasks waiting for a worker on `taskQueue` (approximate, as the server reports it). */
export async function workflowTaskBacklog(client: Client, taskQueue: string): Promise<number> {
  const { stats } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(stats?.approximateBacklogCount ?? 0);
}
