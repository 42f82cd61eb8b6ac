/**
 * A task queue's workflow-task backlog as the Temporal server counts it (DescribeTaskQueue with
 * `reportStats`): what the lifecycle starter paces itself by, and what the dashboard and the
 * bench show per lane.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface Backlog {
  /** Workflow tasks waiting for a worker (approximate, as the server reports it). */
  tasks: number;
  /** How long the oldest has waited. */
  ageMs: number;
}

const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : 0;

export async function workflowTaskBacklog(client: Client, taskQueue: string): Promise<Backlog> {
  const { stats } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return { tasks: Number(stats?.approximateBacklogCount ?? 0), ageMs: durationMs(stats?.approximateBacklogAge) };
}
