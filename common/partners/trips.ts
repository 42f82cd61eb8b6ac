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
import { naveeraTrip } from '../dialects/profiles';

/** The stops of one partner, with what a trip shows (the driver's name). */
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
      's.fee',
      's.currency',
      's.time_window_from',
      's.time_window_to',
      's.driver_id',
      's.pickup_address',
      's.picked_up_at',
      's.created_at',
      's.updated_at',
      'd.name as driver_name',
    ])
    .select([
      // Only the reason of a failure (its notes are the provider's), which decides the trip's status.
      sql<string | null>`s.failure->>'reason'`.as('failure_reason'),
      // The times an event's snapshot carries too, so a webhook's trip shows the same ones.
      sql<string | null>`s.completion->>'completed_at'`.as('completed_at'),
    ])
    .where('s.broker_id', '=', partnerId);
}

export type TripSource = Awaited<ReturnType<ReturnType<typeof tripsOf>['executeTakeFirstOrThrow']>>;

/** The day a trip is on: its window's start, else the day it was created (UTC). */
export const tripDateSql = sql<string>`(coalesce(s.time_window_from, s.created_at) at time zone 'UTC')::date`;

/** The row as the one trip builder's facts (webhooks build theirs from the event's snapshot). */
export const toTrip = (row: TripSource, opts: { billing: boolean }): Trip =>
  naveeraTrip(
    {
      tripId: Number(row.trip_id),
      stopId: row.id,
      status: row.status,
      failureReason: row.failure_reason,
      brokerTripId: row.broker_trip_id,
      externalRef: row.external_ref,
      address: row.address,
      pickupAddress: row.pickup_address,
      customerName: row.customer_name,
      driverId: row.driver_id,
      driverName: row.driver_name,
      orderAmount: row.order_amount === null ? null : Number(row.order_amount),
      fee: row.fee === null ? null : Number(row.fee),
      currency: row.currency,
      windowFrom: iso(row.time_window_from),
      windowTo: iso(row.time_window_to),
      pickedUpAt: iso(row.picked_up_at),
      completedAt: row.completed_at,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    },
    opts,
  );
