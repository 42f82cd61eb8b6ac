/**
 * Writes new stops: the rows (version 1), their first history rows and their `stop.created`
 * events, in the caller's transaction and with one statement per table however many there are.
 * The workers' lifecycle starter starts each lifecycle workflow once this commits (imports start
 * their own).
 */
import type { Transaction } from 'kysely';
import type { Database, StopRow } from '../db/schema';
import { appendEvents } from '../events/append';
import { CHANNELS, notify } from '../events/notify';
import type { StopCreateInput } from '../schemas/stops';
import { stopColumns } from './columns';
import { stopEventId, type StopSource } from './lifecycle';
import { toStopResource } from './resource';

/** Inserts the stops whose ids are new and returns them in the given order; known ids are skipped. */
export async function insertNewStops(
  trx: Transaction<Database>,
  tenantId: string,
  stops: readonly { id: string; data: StopCreateInput }[],
  opts: { source: StopSource; importId?: string },
): Promise<StopRow[]> {
  const rows = await trx
    .insertInto('stops')
    .values(
      stops.map((s) => ({
        ...stopColumns(s.data),
        address: s.data.address,
        id: s.id,
        tenant_id: tenantId,
        status: 'pending',
        version: 1,
        import_id: opts.importId ?? null,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .execute();
  if (rows.length === 0) return [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const inserted = stops.flatMap((s) => byId.get(s.id) ?? []);
  await trx
    .insertInto('stop_history')
    .values(inserted.map((r) => ({ stop_id: r.id, seq: 1, tenant_id: tenantId, from_status: null, to_status: 'pending', source: opts.source, event_id: stopEventId(r.id, 1) })))
    .execute();
  await appendEvents(
    trx,
    tenantId,
    inserted.map((r) => ({ id: stopEventId(r.id, 1), type: 'stop.created', subjectType: 'stop' as const, subjectId: r.id, sequence: 1, payload: toStopResource(r) })),
  );
  // Imports start their own stops' workflows; the workers' lifecycle starter takes the others.
  if (!opts.importId) await notify(trx, CHANNELS.stops);
  return inserted;
}
