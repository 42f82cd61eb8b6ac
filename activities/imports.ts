/** Bulk import steps: the one transaction, then starting every stop's workflow and delivery. */
import { heartbeat, activityInfo } from '@temporalio/activity';
import { sql } from 'kysely';
import { appendEvents } from '../common/events/append';
import { dispatchEvent } from '../common/events/dispatch';
import type { StopCreateInput } from '../common/schemas/stops';
import { stopColumns } from '../common/stops/columns';
import type { StopRejection } from '../common/stops/failures';
import { stopEventId } from '../common/stops/lifecycle';
import { toStopResource } from '../common/stops/resource';
import { stopWorkflowOptions } from '../common/temporal/stop-workflows';
import type { ActivityDeps } from './deps';

export interface ImportInput {
  tenantId: string;
  importId: string;
  stops: { id: string; data: StopCreateInput }[];
}

export interface ImportCommitted {
  import_id: string;
  count: number;
  stops: { id: string; external_ref: string | null; status: string }[];
}

const START_CONCURRENCY = 32;

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

export function importActivities({ db, temporal, config }: ActivityDeps) {
  return {
    /** Inserts every stop, history row and event in one transaction; a repeat returns the first result. */
    async commitImport(input: ImportInput): Promise<{ ok: true; committed: ImportCommitted } | StopRejection> {
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
          // One multi-row statement per table, not 500 round trips.
          const rows = await trx
            .insertInto('stops')
            .values(input.stops.map((s) => ({ ...stopColumns(s.data), address: s.data.address, id: s.id, tenant_id: input.tenantId, status: 'pending', version: 1, import_id: input.importId })))
            .returningAll()
            .execute();
          const byId = new Map(rows.map((r) => [r.id, r]));
          const ordered = input.stops.map((s) => byId.get(s.id)!);
          await trx
            .insertInto('stop_history')
            .values(ordered.map((r) => ({ stop_id: r.id, seq: 1, tenant_id: input.tenantId, from_status: null, to_status: 'pending', source: 'import', event_id: stopEventId(r.id, 1) })))
            .execute();
          await appendEvents(
            trx,
            input.tenantId,
            ordered.map((r) => ({ id: stopEventId(r.id, 1), type: 'stop.created', subjectType: 'stop' as const, subjectId: r.id, sequence: 1, payload: toStopResource(r) })),
          );
          return { ok: true as const, committed: summary(ordered) };
        });
      } catch (err) {
        const e = err as { code?: string; constraint?: string; detail?: string };
        if (e.code === '23505' && e.constraint === 'stops_tenant_external_ref_key') {
          return { ok: false, type: 'Conflict', message: 'an external_ref in this import was taken meanwhile', details: { reason: 'duplicate_external_ref', detail: e.detail ?? null } };
        }
        throw err;
      }
    },

    /** Starts each imported stop's lifecycle workflow and hands its created event to delivery. */
    async startImportedStops(input: { tenantId: string; importId: string }): Promise<number> {
      await db.updateTable('imports').set({ status: 'starting' }).where('id', '=', input.importId).where('status', '=', 'committed').execute();
      const rows = await db.selectFrom('stops').selectAll().where('import_id', '=', input.importId).orderBy('id').execute();
      // Resume after the last heartbeat of a previous attempt (starts are idempotent anyway).
      const from = Number(activityInfo().heartbeatDetails ?? 0);
      let done = from;
      await inParallel(rows.slice(from), START_CONCURRENCY, async (row) => {
        const stop = toStopResource(row);
        await temporal.workflow.start('stopLifecycleWorkflow', stopWorkflowOptions(config.taskQueue, { tenantId: input.tenantId, stopId: row.id, source: 'import', existing: stop }));
        await dispatchEvent(temporal, config.taskQueue, { tenantId: input.tenantId, eventId: stopEventId(row.id, 1), eventType: 'stop.created' });
        done++;
        if (done % 50 === 0) {
          heartbeat(done);
          await db.updateTable('imports').set({ workflows_started: done, events_dispatched: done }).where('id', '=', input.importId).execute();
        }
      });
      await db
        .updateTable('imports')
        .set({ status: 'completed', workflows_started: rows.length, events_dispatched: rows.length, completed_at: sql`now()` })
        .where('id', '=', input.importId)
        .execute();
      return rows.length;
    },
  };
}
