/**
 * Writes new stops: the rows (version 1), their first history rows, their `stop.created`
 * events and those events' deliveries, in one statement however many stops there are. The
 * stop's first move, or the workers' lifecycle starter shortly after, starts its lifecycle
 * workflow (imports start their own).
 *
 * They count toward the tenant's stops-per-day quota in the same transaction: past it, nothing
 * is written and a QuotaExceededError is thrown.
 *
 * Every id must be new: a keyed API retry looks for its stop first, an import for its import.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, GeocodedColumn, StopRow } from '../db/schema';
import { geocodeAtWrite } from '../geocoding/at-write';
import { eventWrites, type NewEvent, notifyIfQueued } from '../events/append';
import type { StopCreateInput } from '../schemas/stops';
import { activeSubscriptions, planDeliveries } from '../webhooks/plan';
import { stopColumns } from './columns';
import { stopEventId, type StopSource } from './lifecycle';
import { toStopResource } from './resource';
import { countStopsCreated } from '../quotas';

/** A stop row before the database gave it its trip id. */
export type NewStopRow = Omit<StopRow, 'trip_id'>;

/** A new stop's row as it will be stored (times from this clock, so its event can carry it). */
const newStopRow = (tenantId: string, id: string, data: StopCreateInput, importId: string | null, now: Date, geocoded: GeocodedColumn | null, pickupGeocoded: GeocodedColumn | null): NewStopRow => ({
  id,
  tenant_id: tenantId,
  status: 'pending',
  version: 1,
  customer_name: null,
  phone: null,
  order_amount: null,
  payment_method: null,
  time_window_from: null,
  time_window_to: null,
  notes: null,
  external_ref: null,
  zone: null,
  broker_id: null,
  broker_trip_id: null,
  pickup_address: null,
  pickup_name: null,
  fee: null,
  currency: null,
  eta_at: null,
  eta_announced_at: null,
  ...stopColumns(data),
  address: data.address,
  driver_id: null,
  geocoded,
  pickup_geocoded: pickupGeocoded,
  completion: null,
  failure: null,
  cancellation: null,
  picked_up_at: null,
  import_id: importId,
  lifecycle_started_at: null,
  created_at: now,
  updated_at: now,
});

/** Inserts the stops with everything their creation writes; returns their rows in the given order. */
export async function insertNewStops(
  db: Kysely<Database>,
  tenantId: string,
  stops: readonly { id: string; data: StopCreateInput }[],
  opts: { source: StopSource; importId?: string; geocoderUrl: string | undefined; defaultStopsPerDay: number },
): Promise<NewStopRow[]> {
  if (stops.length === 0) return [];
  const now = new Date();
  const rows = stops.map((s) => newStopRow(tenantId, s.id, s.data, opts.importId ?? null, now, geocodeAtWrite(opts.geocoderUrl, s.data.address), s.data.pickup ? geocodeAtWrite(opts.geocoderUrl, s.data.pickup.address) : null));
  const events: NewEvent[] = rows.map((r) => ({ id: stopEventId(r.id, 1), type: 'stop.created', subjectType: 'stop', subjectId: r.id, sequence: 1, payload: toStopResource(r), brokerId: r.broker_id }));
  const deliveries = planDeliveries(await activeSubscriptions(db, tenantId, { partnerIds: rows.map((r) => r.broker_id) }), events);
  const insertStops = db.insertInto('stops').values(rows).returning('id');
  const insertHistory = db
    .insertInto('stop_history')
    .values(rows.map((r) => ({ stop_id: r.id, seq: 1, tenant_id: tenantId, from_status: null, to_status: 'pending', source: opts.source, event_id: stopEventId(r.id, 1), changed_at: now })));
  const write = async (trx: Kysely<Database>): Promise<void> => {
    await sql`
      with changed as (${insertStops}), new_history as (${insertHistory}), ${eventWrites(tenantId, events, deliveries)}
      select count(*) ${notifyIfQueued(deliveries)} from changed`.execute(trx);
    // Last, so the counter row is locked only until the commit.
    await countStopsCreated(trx, tenantId, rows.length, opts.defaultStopsPerDay);
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
  return rows;
}
