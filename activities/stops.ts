/**
 * Stop writes. Each change is one transaction: the stop row, its history row and its event
 * (with a deterministic id, deliveries planned), so a retried activity finds its own work done
 * and does nothing twice.
 */
import { sql } from 'kysely';
import { assignmentProblem } from '../common/drivers/assignment';
import { isPermanentDbError, isUniqueViolation } from '../common/db/errors';
import type { StopRow } from '../common/db/schema';
import { appendEvents } from '../common/events/append';
import type { ActionPayloads } from '../common/schemas/stops';
import { stopColumns } from '../common/stops/columns';
import type { StopRejection } from '../common/stops/failures';
import { canTransition, stopEventId, TRANSITIONS } from '../common/stops/lifecycle';
import { toStopResource } from '../common/stops/resource';
import type { StopActivities, StopChange, StopResult } from '../common/temporal/stop-lifecycle';
import type { ActivityDeps } from './deps';

const duplicateRef = (ref: string | null | undefined): StopRejection => ({
  ok: false,
  type: 'Conflict',
  message: `a stop with external_ref "${ref}" already exists`,
  details: { field: 'external_ref', value: ref ?? null, reason: 'duplicate_external_ref' },
});

/** Columns a lifecycle action sets beside the status. */
function actionColumns(change: Extract<StopChange, { kind: 'transition' }>, now: string): Record<string, unknown> {
  const p = change.payload as Record<string, unknown>;
  switch (change.action) {
    case 'assign':
      return { driver_id: p.driver_id };
    case 'unassign':
      return { driver_id: null };
    case 'complete':
      return { completion: JSON.stringify({ notes: p.notes ?? null, proof: p.proof ?? null, completed_at: now }) };
    case 'fail':
      return { failure: JSON.stringify({ reason: p.reason, notes: p.notes ?? null, failed_at: now }) };
    case 'cancel':
      return { cancellation: JSON.stringify({ reason: p.reason ?? null, cancelled_at: now }) };
    default:
      return {};
  }
}

export function stopActivities({ db }: ActivityDeps): StopActivities {
  return {
    async loadStop(input) {
      const row = await db.selectFrom('stops').selectAll().where('id', '=', input.stopId).where('tenant_id', '=', input.tenantId).executeTakeFirst();
      return row ? toStopResource(row) : null;
    },

    async applyStopChange(input) {
      const { tenantId, stopId, seq, change } = input;
      try {
        const result = await db.transaction().execute(async (trx): Promise<StopResult> => {
          const row = await trx.selectFrom('stops').selectAll().where('id', '=', stopId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
          if (!row) return { ok: false, type: 'StopNotFound', message: `no stop ${stopId}`, details: {} };
          if (row.version >= seq) return { ok: true, stop: toStopResource(row) };
          if (row.version !== seq - 1) {
            return { ok: false, type: 'Conflict', message: 'the stop changed underneath this request', details: { version: row.version } };
          }
          const now = new Date().toISOString();
          let updates: Record<string, unknown>;
          let eventType: string;
          if (change.kind === 'transition') {
            if (!canTransition(change.action, row.status)) {
              return { ok: false, type: 'InvalidTransition', message: `cannot ${change.action} a stop that is ${row.status}`, details: { current_status: row.status } };
            }
            if (change.action === 'assign') {
              const driverId = (change.payload as ActionPayloads['assign']).driver_id;
              const driver = await trx.selectFrom('drivers').select(['id', 'status', 'zone']).where('id', '=', driverId).where('tenant_id', '=', tenantId).forShare().executeTakeFirst();
              const problem = assignmentProblem(row, driver, driverId);
              if (problem) return problem;
            }
            const rule = TRANSITIONS[change.action];
            updates = { ...actionColumns(change, now), status: rule.to };
            eventType = rule.event;
          } else {
            updates = stopColumns(change.patch);
            eventType = 'stop.updated';
          }
          const updated: StopRow = await trx
            .updateTable('stops')
            .set({ ...updates, version: seq, updated_at: sql`now()` } as never)
            .where('id', '=', stopId)
            .returningAll()
            .executeTakeFirstOrThrow();
          const stop = toStopResource(updated);
          const eventId = stopEventId(stopId, seq);
          if (updated.status !== row.status) {
            await trx
              .insertInto('stop_history')
              .values({ stop_id: stopId, seq, tenant_id: tenantId, from_status: row.status, to_status: updated.status, source: input.source, event_id: eventId })
              .execute();
          }
          await appendEvents(trx, tenantId, [
            { id: eventId, type: eventType, subjectType: 'stop', subjectId: stopId, sequence: seq, previousStatus: row.status, payload: stop },
          ]);
          return { ok: true, stop };
        });
        return result;
      } catch (err) {
        if (isUniqueViolation(err, 'stops_tenant_external_ref_key') && change.kind === 'patch') return duplicateRef(change.patch.external_ref);
        // Retrying cannot store what the database refused once: the request gets a 400 and the
        // stop stays as it was, free to move on.
        if (isPermanentDbError(err)) {
          return { ok: false, type: 'InvalidInput', message: 'a value in this request could not be stored', details: { reason: 'unstorable_value', sqlstate: (err as { code: string }).code } };
        }
        throw err;
      }
    },

    async saveGeocode(input) {
      const res = await db
        .updateTable('stops')
        .set({ geocoded: JSON.stringify(input.geocoded) })
        .where('id', '=', input.stopId)
        .where('address', '=', input.address)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
  };
}
