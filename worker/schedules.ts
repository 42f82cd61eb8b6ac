/**
 * The housekeeping Schedules, created (or brought up to date) when a worker starts; they run on
 * the background lane. Ids carry the hub's (lifecycle) task queue name so several hubs can share
 * one Temporal namespace.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { HubConfig } from '../common/config';
import { eventRetentionWorkflow, outboxSweepWorkflow, subscriptionHealthWorkflow } from '../workflows/housekeeping';

export const HOUSEKEEPING = [
  { name: 'outbox-sweep', workflowType: outboxSweepWorkflow, every: '30s' },
  { name: 'subscription-health', workflowType: subscriptionHealthWorkflow, every: '5m' },
  { name: 'event-retention', workflowType: eventRetentionWorkflow, every: '1h' },
] as const;

export const scheduleId = (taskQueue: string, name: string): string => `${taskQueue}:${name}`;

export async function ensureSchedules(client: Client, queues: HubConfig['taskQueues']): Promise<void> {
  const taskQueue = queues.background;
  for (const job of HOUSEKEEPING) {
    const id = scheduleId(queues.lifecycle, job.name);
    const options = {
      scheduleId: id,
      spec: { intervals: [{ every: job.every }] },
      action: { type: 'startWorkflow' as const, workflowType: job.workflowType, taskQueue, workflowId: id },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    };
    try {
      await client.schedule.create(options);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(id).update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: { ...prev.policies, ...options.policies } }));
    }
  }
}

export async function deleteSchedules(client: Client, queues: HubConfig['taskQueues']): Promise<void> {
  for (const job of HOUSEKEEPING) await client.schedule.getHandle(scheduleId(queues.lifecycle, job.name)).delete().catch(() => undefined);
}
