/**
 * Starting stops' lifecycle workflows from the stop rows still without one (created through the
 * API or imported). Used by the workers' lifecycle starter, and by the periodic sweep. Starts are idempotent (fixed
 * workflow ids), so two workers that pick the same stop only repeat a start Temporal joins.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../common/db/connect';
import { inParallel } from '../common/in-parallel';
import { toStopResource } from '../common/stops/resource';
import { startOnce } from '../common/temporal/start-once';
import { stopWorkflowOptions } from '../common/temporal/stop-lifecycle';
import { stopLifecycleWorkflow } from '../workflows/stop-lifecycle';

export const LIFECYCLE_BATCH = 100;
const CONCURRENCY = 16;

export interface StarterTarget {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/**
 * Starts the workflows of up to `limit` stops still without one, oldest first, once they are
 * `minAgeMs` old (a move in the meantime starts the workflow itself).
 */
export async function startPendingLifecycles(target: StarterTarget, opts: { limit: number; minAgeMs: number }): Promise<number> {
  if (opts.limit <= 0) return 0;
  const stops = await target.db
    .selectFrom('stops')
    .selectAll()
    .where('lifecycle_started_at', 'is', null)
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${opts.minAgeMs / 1000})`)
    .orderBy('created_at')
    .limit(Math.min(opts.limit, LIFECYCLE_BATCH))
    .execute();
  if (stops.length === 0) return 0;
  await inParallel(stops, CONCURRENCY, (row) =>
    startOnce(() => target.temporal.workflow.start(stopLifecycleWorkflow, stopWorkflowOptions(target.taskQueue, { tenantId: row.tenant_id, stopId: row.id, existing: toStopResource(row) }))),
  );
  await target.db.updateTable('stops').set({ lifecycle_started_at: sql`now()` }).where('id', 'in', stops.map((s) => s.id)).where('lifecycle_started_at', 'is', null).execute();
  return stops.length;
}
