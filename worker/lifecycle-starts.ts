/**
 * Starting stops' lifecycle workflows from the stop rows still without one (created through the
 * API or imported). Used by the workers' lifecycle starter, and by the periodic sweep. Starts are idempotent (fixed
 * workflow ids), so two workers that pick the same stop only repeat a start Temporal joins.
 */
import type { Client } from '@temporalio/client';
import { type Selectable, sql } from 'kysely';
import type { Db } from '../common/db/connect';
import type { Database } from '../common/db/schema';
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

export interface StartsMade {
  started: number;
  /** Mean time one start took (ms), or null when none was made. */
  meanStartMs: number | null;
}

/**
 * Up to `limit` stops still without a workflow, `minAgeMs` old at least, with tenants taking
 * turns: every tenant's oldest first, then every tenant's second, and so on, so one tenant's
 * 50,000-stop import does not hold back another's five. Tenants are found by a skip scan over
 * `stops_unstarted_tenant_idx` and each reads at most `limit` rows of it, so a huge backlog costs
 * a pass no more than a small one.
 */
async function unstartedInTurns(db: Db, limit: number, minAgeMs: number): Promise<Selectable<Database['stops']>[]> {
  const { rows } = await sql<Selectable<Database['stops']> & { turn: string }>`
    with recursive tenant as (
      (select tenant_id from stops where lifecycle_started_at is null order by tenant_id limit 1)
      union all
      select (select s.tenant_id from stops s where s.lifecycle_started_at is null and s.tenant_id > tenant.tenant_id order by s.tenant_id limit 1)
      from tenant where tenant.tenant_id is not null
    )
    select p.* from tenant cross join lateral (
      select s.*, row_number() over (order by s.created_at, s.id) as turn from stops s
      where s.tenant_id = tenant.tenant_id and s.lifecycle_started_at is null
        and s.created_at < now() - make_interval(secs => ${minAgeMs / 1000})
      order by s.created_at, s.id
      limit ${limit}
    ) p
    where tenant.tenant_id is not null
    order by p.turn, p.created_at
    limit ${limit}`.execute(db);
  return rows.map(({ turn: _turn, ...stop }) => stop);
}

/** Starts the workflows of up to `limit` stops still without one (a move in the meantime starts the workflow itself). */
export async function startPendingLifecycles(target: StarterTarget, opts: { limit: number; minAgeMs: number }): Promise<StartsMade> {
  if (opts.limit <= 0) return { started: 0, meanStartMs: null };
  const stops = await unstartedInTurns(target.db, Math.min(opts.limit, LIFECYCLE_BATCH), opts.minAgeMs);
  if (stops.length === 0) return { started: 0, meanStartMs: null };
  let spentMs = 0;
  await inParallel(stops, CONCURRENCY, async (row) => {
    const began = performance.now();
    await startOnce(() => target.temporal.workflow.start(stopLifecycleWorkflow, stopWorkflowOptions(target.taskQueue, { tenantId: row.tenant_id, stopId: row.id, existing: toStopResource(row) })));
    spentMs += performance.now() - began;
  });
  await target.db.updateTable('stops').set({ lifecycle_started_at: sql`now()` }).where('id', 'in', stops.map((s) => s.id)).where('lifecycle_started_at', 'is', null).execute();
  return { started: stops.length, meanStartMs: spentMs / stops.length };
}
