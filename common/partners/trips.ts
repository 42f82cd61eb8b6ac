/**
 * A trip: a stop as its broker sees it. Only the stops that name the partner as their broker are
 * ever read, and only the columns the seed lets a broker see are selected: the phone, notes,
 * coordinates and internal columns are never in the query, so no mapping slip can leak them.
 * Fields the hub does not know are null, never invented.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { iso } from '../iso';
import type { Trip } from '../schemas/partner';
import { isTerminal } from '../stops/lifecycle';
import { tripStatusOf } from './trip-status';

/** The stops of one partner, with what a trip shows (driver's name, times from the history). */
export function tripsOf(db: Db, partnerId: string) {
  return db
    .selectFrom('stops as s')
    .leftJoin('drivers as d', (j) => j.onRef('d.id', '=', 's.driver_id').onRef('d.tenant_id', '=', 's.tenant_id'))
    .select([
      's.id',
      's.trip_id',
      's.broker_trip_id',
      's.external_ref',
      's.status',
      's.address',
      's.customer_name',
      's.order_amount',
      's.time_window_from',
      's.time_window_to',
      's.driver_id',
      's.pickup_address',
      's.created_at',
      's.updated_at',
      'd.name as driver_name',
    ])
    .select((eb) => [
      // Only the reason of a failure (its notes are the provider's), which decides the trip's status.
      sql<string | null>`s.failure->>'reason'`.as('failure_reason'),
      eb.selectFrom('stop_history as h').select((h) => h.fn.min('h.changed_at').as('at')).whereRef('h.stop_id', '=', 's.id').where('h.to_status', '=', 'picked_up').as('picked_up_at'),
      eb.selectFrom('stop_history as h').select((h) => h.fn.max('h.changed_at').as('at')).whereRef('h.stop_id', '=', 's.id').where('h.to_status', '=', 'completed').as('completed_at'),
    ])
    .where('s.broker_id', '=', partnerId);
}

export type TripSource = Awaited<ReturnType<ReturnType<typeof tripsOf>['executeTakeFirstOrThrow']>>;

/** The day a trip is on: its window's start, else the day it was created (UTC). */
export const tripDateSql = sql<string>`(coalesce(s.time_window_from, s.created_at) at time zone 'UTC')::date`;

const minutesBetween = (from: Date | null, to: Date | null): number | null => (from && to ? Math.round((to.getTime() - from.getTime()) / 60_000) : null);

export function toTrip(row: TripSource, opts: { billing: boolean }): Trip {
  const pickedUp = row.picked_up_at ? new Date(row.picked_up_at) : null;
  const completed = row.completed_at ? new Date(row.completed_at) : null;
  const windowFrom = iso(row.time_window_from);
  const amount = row.order_amount === null ? null : Number(row.order_amount);
  return {
    id: Number(row.trip_id),
    trip_number: row.id,
    broker_trip_id: row.broker_trip_id,
    external_trip_id: row.external_ref,
    trip_type: windowFrom ? 'scheduled' : null,
    trip_date: (windowFrom ?? iso(row.created_at)).slice(0, 10),
    purpose: null,
    status: tripStatusOf(row.status, row.failure_reason),
    scheduled_pickup_time: windowFrom,
    actual_pickup_time: iso(pickedUp),
    actual_dropoff_time: iso(completed),
    estimated_duration_minutes: null,
    actual_duration_minutes: minutesBetween(pickedUp, completed),
    // The hub keeps addresses whole, so each is given whole as the street.
    pickup: { street: row.pickup_address, city: null, state: null, zip_code: null, scheduled_time: windowFrom, completed_at: iso(pickedUp) },
    dropoff: { street: row.address, city: null, state: null, zip_code: null, scheduled_time: iso(row.time_window_to), completed_at: iso(completed) },
    passenger_name: row.customer_name,
    is_assigned: row.driver_id !== null,
    vehicle_type: null,
    driver: row.driver_id && row.driver_name ? { driver_id: row.driver_id, display_name: row.driver_name } : null,
    vehicle: null,
    map_snapshot_url: null,
    route_snapshot_url: null,
    videos: [],
    cancellation_location: null,
    billing_summary:
      opts.billing && amount !== null
        ? {
            billing_status: isTerminal(row.status) ? 'final' : 'estimated',
            total_amount: amount.toFixed(2),
            currency: null,
            base_fare: null,
            mileage_charge: null,
            wait_time_charge: null,
            is_final: isTerminal(row.status),
          }
        : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
