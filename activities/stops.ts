/**
 * Stop writes. A change is read-then-write, two round trips: one query reads the stop (with the
 * driver an assignment needs and the tenant's active subscriptions), one statement writes the
 * row, its history row, its event (deterministic id) and the event's deliveries. The write only
 * applies on top of the version it was computed from, so a retried activity finds its own work
 * done and does nothing twice, and nothing can slip in between.
 */
import { type Kysely, sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { assignmentProblem } from '../common/drivers/assignment';
import { geocodeAtWrite } from '../common/geocoding/at-write';
import { isPermanentDbError, raceAnswer } from '../common/db/errors';
import type { Database, StopRow } from '../common/db/schema';
import type { CanonicalEvent } from '../common/dialects/profiles';
import { eventWrites, notifyIfQueued } from '../common/events/append';
import type { ActionPayloads } from '../common/schemas/stops';
import { stopColumns } from '../common/stops/columns';
import { brokerTripIdTaken, externalRefTaken } from '../common/stops/conflicts';
import { canTransition, stopEventId, type StopSource, TRANSITIONS } from '../common/stops/lifecycle';
import { toStopResource } from '../common/stops/resource';
import type { StopActivities, StopChange, StopResult } from '../common/temporal/stop-lifecycle';
import { planDeliveries } from '../common/subscriptions/plan';
import type { ActivityDeps } from './deps';

/** Columns a change may set: every one but the creation time. */
type ChangedColumns = Partial<Omit<StopRow, 'id' | 'tenant_id' | 'created_at' | 'trip_id'>>;

/** The columns a lifecycle action sets, status included. */
function actionColumns(change: Extract<StopChange, { kind: 'transition' }>, now: string): ChangedColumns {
  const p = change.payload as Record<string, unknown>;
  const status = TRANSITIONS[change.action].to;
  switch (change.action) {
    case 'assign':
      return { status, driver_id: (p as ActionPayloads['assign']).driver_id };
    case 'unassign':
      return { status, driver_id: null };
    case 'pick_up':
      return { status, picked_up_at: new Date(now) };
    case 'complete':
      return { status, completion: { notes: p.notes ?? null, proof: p.proof ?? null, completed_at: now } };
    case 'fail':
      return { status, failure: { reason: p.reason, notes: p.notes ?? null, failed_at: now } };
    case 'cancel':
      return { status, cancellation: { reason: p.reason ?? null, cancelled_at: now } };
    default:
      return { status };
  }
}

/**
 * The stop, the driver an assignment names, and the active subscriptions of the tenant and of
 * the stop's broker (or the broker a patch names): one query.
 */
function readForChange(db: Kysely<Database>, tenantId: string, stopId: string, driverId: string | null, newBrokerId: string | null) {
  return db
    .selectFrom('stops')
    .selectAll('stops')
    .select((eb) => [
      jsonObjectFrom(eb.selectFrom('drivers').select(['drivers.id', 'drivers.status', 'drivers.zone']).where('drivers.id', '=', driverId ?? '').where('drivers.tenant_id', '=', tenantId)).as('driver'),
      jsonArrayFrom(
        eb
          .selectFrom('webhook_subscriptions as w')
          .select(['w.id', 'w.provider', 'w.events', 'w.retry_schedule', 'w.tenant_id', 'w.partner_id'])
          .where((w) => w.or([w('w.tenant_id', '=', tenantId), w('w.partner_id', '=', eb.ref('stops.broker_id')), w('w.partner_id', '=', newBrokerId)]))
          .where('w.is_active', '=', true)
          .where('w.deleted_at', 'is', null),
      ).as('subscriptions'),
      eb.selectFrom('route_stops').select('route_stops.route_id').whereRef('route_stops.stop_id', '=', 'stops.id').as('route_id'),
    ])
    .where('stops.id', '=', stopId)
    .where('stops.tenant_id', '=', tenantId)
    .executeTakeFirst();
}

interface ChangeInput {
  tenantId: string;
  stopId: string;
  seq: number;
  change: StopChange;
  source: StopSource;
}

/** One attempt at change `seq`; undefined when the stop moved on between the read and the write. */
async function tryChange(db: Kysely<Database>, geocoderUrl: string | undefined, input: ChangeInput): Promise<StopResult | undefined> {
  const { tenantId, stopId, seq, change } = input;
  const driverId = change.kind === 'transition' && change.action === 'assign' ? (change.payload as ActionPayloads['assign']).driver_id : null;
  const newBrokerId = change.kind === 'patch' ? (change.patch.broker_id ?? null) : null;
  const read = await readForChange(db, tenantId, stopId, driverId, newBrokerId);
  if (!read) return { ok: false, type: 'StopNotFound', message: `no stop ${stopId}`, details: {} };
  const { driver, subscriptions, route_id: routeId, ...row } = read;
  if (row.version >= seq) return { ok: true, stop: toStopResource(row) };
  if (row.version !== seq - 1) return { ok: false, type: 'Conflict', message: 'the stop changed underneath this request', details: { version: row.version } };

  const now = new Date();
  let columns: ChangedColumns;
  let eventType: CanonicalEvent;
  if (change.kind === 'transition') {
    if (!canTransition(change.action, row.status)) {
      return { ok: false, type: 'InvalidTransition', message: `cannot ${change.action} a stop that is ${row.status}`, details: { current_status: row.status } };
    }
    if (driverId) {
      const problem = assignmentProblem(row, driver ?? undefined, driverId);
      if (problem) return problem;
    }
    columns = actionColumns(change, now.toISOString());
    eventType = TRANSITIONS[change.action].event;
  } else {
    columns = stopColumns(change.patch);
    if (columns.address !== undefined && columns.address !== row.address) columns.geocoded = geocodeAtWrite(geocoderUrl, columns.address);
    if (columns.pickup_address !== undefined && columns.pickup_address !== row.pickup_address) {
      columns.pickup_geocoded = columns.pickup_address ? geocodeAtWrite(geocoderUrl, columns.pickup_address) : null;
    }
    eventType = 'stop.updated';
  }
  const updated: StopRow = { ...row, ...columns, version: seq, updated_at: now, lifecycle_started_at: row.lifecycle_started_at ?? now };
  const stop = toStopResource(updated);
  const eventId = stopEventId(stopId, seq);
  const event = { id: eventId, type: eventType, subjectType: 'stop' as const, subjectId: stopId, sequence: seq, previousStatus: row.status, payload: stop, brokerId: updated.broker_id };
  const deliveries = planDeliveries(subscriptions, [event]);

  // Applies only on top of the version read; an assignment only to a driver still online.
  let write = db
    .updateTable('stops')
    .set({ ...columns, version: seq, updated_at: now, lifecycle_started_at: sql`coalesce(lifecycle_started_at, now())` })
    .where('id', '=', stopId)
    .where('version', '=', seq - 1);
  if (driverId) write = write.where(({ exists, selectFrom }) => exists(selectFrom('drivers').select('id').where('id', '=', driverId).where('status', '=', 'online')));
  const history =
    updated.status !== row.status
      ? sql`, new_history as (
          insert into stop_history (stop_id, seq, tenant_id, from_status, to_status, source, event_id)
          select id, ${seq}, ${tenantId}, ${row.status}, ${updated.status}, ${input.source}, ${eventId} from changed)`
      : sql``;
  const { rows } = await sql<{ n: string }>`
    with changed as (${write.returning('id')}) ${history}, ${eventWrites(tenantId, [event], deliveries)}
    select count(*)::text as n ${notifyIfQueued(deliveries)} from changed`.execute(db);
  return rows[0]?.n === '1' ? { ok: true, stop, routeId } : undefined;
}

export function stopActivities({ db, config }: ActivityDeps): StopActivities {
  return {
    async loadStop(input) {
      const row = await db.selectFrom('stops').selectAll().where('id', '=', input.stopId).where('tenant_id', '=', input.tenantId).executeTakeFirst();
      return row ? toStopResource(row) : null;
    },

    async applyStopChange(input) {
      try {
        // Written on top of the version read, or read again: the second read sees what moved
        // (a repeat of this change, or a driver who just went offline) and answers for it.
        return (await tryChange(db, config.geocoderUrl, input)) ?? (await tryChange(db, config.geocoderUrl, input)) ?? { ok: false, type: 'Conflict', message: 'the stop changed underneath this request', details: {} };
      } catch (err) {
        // Another stop took the value between the API's check and this write: the check's 409.
        if (input.change.kind === 'patch') {
          const { patch } = input.change;
          const taken = await raceAnswer(err, { stops_tenant_external_ref_key: () => externalRefTaken(patch.external_ref), stops_broker_trip_key: () => brokerTripIdTaken(patch.broker_trip_id) });
          if (taken) return { ok: false, type: 'Conflict', ...taken };
        }
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
