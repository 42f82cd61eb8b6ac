/**
 * Writes new stops: the rows (version 1), their first history rows, their `stop.created`
 * events and those events' deliveries, in one statement however many stops there are. The
 * stop's first move, or the workers' lifecycle starter shortly after, starts its lifecycle
 * workflow (imports start their own).
 *
 * They count toward the tenant's stops-per-day quota in the same statement: past it, nothing
 * is written and a QuotaExceededError is thrown. One statement, so the tenant's counter rows are
 * locked from there to its commit and no longer (they serialise a tenant's creations).
 *
 * Every id must be new: a keyed API retry looks for its stop first, an import for its import.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database, GeocodedColumn, StopRow } from '../db/schema';
import { geocodeAtWrite } from '../geocoding/at-write';
import { eventWrites, type NewEvent, notifyIfQueued } from '../events/append';
import type { StopCreateInput } from '../schemas/stops';
import { activeSubscriptions, planDeliveries } from '../subscriptions/plan';
import { stopColumns } from './columns';
import { stopEventId, type StopSource } from './lifecycle';
import { toStopResource } from './resource';
import { stopsCreatedCount, stopsQuotaRefusal } from '../quotas';

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

/** `insert into <table> (<the rows' columns>) select … from the rows as JSON where <condition>`. */
function insertFromJson<T extends 'stops' | 'stop_history'>(table: T, rows: readonly object[], condition: RawBuilder<unknown>): RawBuilder<unknown> {
  const columns = Object.keys(rows[0]!);
  return sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      select ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))} from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) r
      where ${condition}`;
}

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
  const history = rows.map((r) => ({ stop_id: r.id, seq: 1, tenant_id: tenantId, from_status: null, to_status: 'pending', source: opts.source, event_id: stopEventId(r.id, 1), changed_at: now }));
  // Rows as one JSON parameter each, read back through the tables' own row types: every write
  // below is conditioned on the quota's row, so past the quota the statement writes nothing.
  const { rows: written } = await sql<{ n: number }>`
    with quota as (${stopsCreatedCount(tenantId, rows.length, opts.defaultStopsPerDay)}),
    changed as (${insertFromJson('stops', rows, sql`exists (select 1 from quota)`)} returning id),
    new_history as (${insertFromJson('stop_history', history, sql`exists (select 1 from changed)`)}),
    ${eventWrites(tenantId, events, deliveries)}
    select count(*)::int as n ${notifyIfQueued(deliveries)} from changed`.execute(db);
  if (written[0]!.n === 0) throw await stopsQuotaRefusal(db, tenantId, rows.length, opts.defaultStopsPerDay);
  return rows;
}
