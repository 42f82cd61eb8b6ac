/** Bulk import steps: the one transaction, then starting every stop's lifecycle workflow. */
import { heartbeat, activityInfo } from '@temporalio/activity';
import { sql } from 'kysely';
import { isUniqueViolation } from '../common/db/errors';
import { inParallel } from '../common/in-parallel';
import { startOnce } from '../common/temporal/start-once';
import type { ImportActivities, ImportCommitted } from '../common/temporal/bulk-import';
import { insertNewStops } from '../common/stops/insert';
import { toStopResource } from '../common/stops/resource';
import { stopWorkflowOptions } from '../common/temporal/stop-lifecycle';
import { stopLifecycleWorkflow } from '../workflows/stop-lifecycle';
import type { ActivityDeps } from './deps';

const START_CONCURRENCY = 32;

export function importActivities({ db, temporal, config }: ActivityDeps): ImportActivities {
  return {
    async commitImport(input) {
      const summary = (rows: { id: string; external_ref: string | null; status: string }[]): ImportCommitted => ({
        import_id: input.importId,
        count: rows.length,
        stops: rows.map((r) => ({ id: r.id, external_ref: r.external_ref, status: r.status })),
      });
      try {
        return await db.transaction().execute(async (trx) => {
          const created = await trx
            .insertInto('imports')
            .values({ id: input.importId, tenant_id: input.tenantId, status: 'committed', count: input.stops.length, committed_at: sql`now()` })
            .onConflict((oc) => oc.column('id').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!created) {
            const rows = await trx.selectFrom('stops').select(['id', 'external_ref', 'status']).where('import_id', '=', input.importId).orderBy('id').execute();
            const order = new Map(input.stops.map((s, i) => [s.id, i]));
            return { ok: true as const, committed: summary(rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!)) };
          }
          const ordered = await insertNewStops(trx, input.tenantId, input.stops, { source: 'import', importId: input.importId });
          return { ok: true as const, committed: summary(ordered) };
        });
      } catch (err) {
        if (isUniqueViolation(err, 'stops_tenant_external_ref_key')) {
          const detail = (err as { detail?: string }).detail ?? null;
          return { ok: false, type: 'Conflict', message: 'an external_ref in this import was taken meanwhile', details: { reason: 'duplicate_external_ref', detail } };
        }
        throw err;
      }
    },

    async startImportedStops(input) {
      await db.updateTable('imports').set({ status: 'starting' }).where('id', '=', input.importId).where('status', '=', 'committed').execute();
      const rows = await db.selectFrom('stops').selectAll().where('import_id', '=', input.importId).orderBy('id').execute();
      // Resume after the last heartbeat of a previous attempt (starts are idempotent anyway).
      const from = Number(activityInfo().heartbeatDetails ?? 0);
      let done = from;
      const markStarted = async (): Promise<void> => {
        heartbeat(done);
        await db.updateTable('imports').set({ workflows_started: done }).where('id', '=', input.importId).execute();
      };
      await inParallel(rows.slice(from), START_CONCURRENCY, async (row) => {
        await startOnce(() => temporal.workflow.start(stopLifecycleWorkflow, stopWorkflowOptions(config.taskQueue, { tenantId: input.tenantId, stopId: row.id, existing: toStopResource(row) })));
        done++;
        if (done % 50 === 0) await markStarted();
      });
      await db.updateTable('stops').set({ lifecycle_started_at: sql`now()` }).where('import_id', '=', input.importId).execute();
      await db
        .updateTable('imports')
        .set({ status: 'completed', workflows_started: rows.length, completed_at: sql`now()` })
        .where('id', '=', input.importId)
        .execute();
      return rows.length;
    },
  };
}
