/** The bulk import's one transaction. */
import { sql } from 'kysely';
import { raceAnswer } from '../common/db/errors';
import type { ImportActivities, ImportCommitted } from '../common/temporal/bulk-import';
import { type ConflictReason, importValuesTaken } from '../common/stops/conflicts';
import { insertNewStops } from '../common/stops/insert';
import { assertImportSlot, lockTenantFor, QuotaExceededError, tenantQuotas } from '../common/quotas';
import type { ActivityDeps } from './deps';

export function importActivities({ db, config }: ActivityDeps): ImportActivities {
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
            .values({ id: input.importId, tenant_id: input.tenantId, count: input.stops.length, committed_at: sql`now()` })
            .onConflict((oc) => oc.column('id').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!created) {
            const rows = await trx.selectFrom('stops').select(['id', 'external_ref', 'status']).where('import_id', '=', input.importId).orderBy('id').execute();
            const order = new Map(input.stops.map((s, i) => [s.id, i]));
            return { ok: true as const, committed: summary(rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!)) };
          }
          // Quotas, checked where they cannot race: one import of a tenant commits at a time, and
          // the stops count toward the day in this transaction (refused whole past it).
          await lockTenantFor(trx, 'imports', input.tenantId);
          await assertImportSlot(trx, (await tenantQuotas(trx, config.quotaDefaults, input.tenantId)).limits, input.tenantId, input.importId);
          const ordered = await insertNewStops(trx, input.tenantId, input.stops, { source: 'import', importId: input.importId, geocoderUrl: config.geocoderUrl, defaultStopsPerDay: config.quotaDefaults.stops_per_day });
          return { ok: true as const, committed: summary(ordered) };
        });
      } catch (err) {
        if (err instanceof QuotaExceededError) return { ok: false, type: 'QuotaExceeded', message: err.message, details: err.details };
        // A concurrent import (or stop) committed a value of this batch first: the answer is the
        // API's own check, read again now that the winner is visible.
        const taken = (fallback: ConflictReason) => async () => (await importValuesTaken(db, input.tenantId, input.importId, input.stops.map((s) => s.data))) ?? fallback;
        const answer = await raceAnswer(err, {
          stops_tenant_external_ref_key: taken({ message: 'an external_ref in this import was taken meanwhile', details: { reason: 'duplicate_external_ref' } }),
          stops_broker_trip_key: taken({ message: 'a broker_trip_id in this import was taken meanwhile', details: { reason: 'duplicate_broker_trip_id' } }),
        });
        if (answer) return { ok: false, type: 'Conflict', ...answer };
        throw err;
      }
    },
  };
}
