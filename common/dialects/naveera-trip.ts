/**
 * The Naveera trip, as the Partner API serves it and as the naveera dialect's webhooks and polled
 * events carry it, built from a stop; and Naveera's words for the hub's statuses, which both use.
 */
import { iso } from '../iso';
import type { Trip } from '../schemas/partner';
import type { StopResource } from '../schemas/stops';
import { isTerminal } from '../stops/lifecycle';
import { failureReasonOf, statusWordIn, type StatusWords } from './dialect';

/**
 * Naveera's word for a failed stop, by the failure's reason: only a passenger who was not there
 * is a `no_show`; every other failure means the trip will not be fulfilled (`canceled`).
 */
export const NAVEERA_FAILED_STATUS: Readonly<Record<string, string>> = {
  not_home: 'no_show',
  refused: 'canceled',
  address_not_found: 'canceled',
  damaged: 'canceled',
  other: 'canceled',
};

/** The API version Naveera's envelopes and the Partner API's polled events carry. */
export const NAVEERA_API_VERSION = '2024-01-30';

/** A hub status in a dialect's words; a failed stop's word may depend on its reason (naveera). */

/** The hub's statuses in Naveera's words. */
export const NAVEERA_WORDS: StatusWords = {
  statusWords: { pending: 'scheduled', assigned: 'assigned', picked_up: 'arrived', in_transit: 'in_progress', completed: 'finished', cancelled: 'canceled' },
  failedWordByReason: NAVEERA_FAILED_STATUS,
};

/**
 * What a Naveera trip is built from: a stop as the Partner API reads it (a row) or as an event
 * carries it (the snapshot), with its trip id. Only what a broker may see is here.
 */
export interface TripFacts {
  tripId: number;
  stopId: string;
  status: string;
  failureReason: string | null;
  brokerTripId: string | null;
  externalRef: string | null;
  address: string;
  pickupAddress: string | null;
  customerName: string | null;
  driverId: string | null;
  /** Null where unknown (an event's snapshot names no driver): the trip then shows no driver. */
  driverName: string | null;
  orderAmount: number | null;
  /** Minor units of `currency`. */
  fee: number | null;
  currency: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  pickedUpAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An event's stop snapshot as trip facts (the REST side reads the same columns: common/partners/trips.ts). */
export const tripFactsOfStop = (s: StopResource, tripId: number): TripFacts => ({
  tripId,
  stopId: s.id,
  status: s.status,
  failureReason: failureReasonOf(s),
  brokerTripId: s.broker_trip_id ?? null,
  externalRef: s.external_ref,
  address: s.address,
  pickupAddress: s.pickup?.address ?? null,
  customerName: s.customer_name,
  driverId: s.driver_id,
  driverName: null,
  orderAmount: s.order_amount,
  fee: s.fee,
  currency: s.currency,
  windowFrom: s.time_window?.from ?? null,
  windowTo: s.time_window?.to ?? null,
  // Snapshots stored before stops kept picked_up_at lack it.
  pickedUpAt: s.picked_up_at ?? null,
  completedAt: ((s.completion as { completed_at?: string } | null)?.completed_at as string | undefined) ?? null,
  createdAt: s.created_at,
  // Snapshots without updated_at (older events, hand-made ones) were last changed when made.
  updatedAt: s.updated_at ?? s.created_at,
});

/** Digits after the decimal point in a currency's major unit (ISO 4217: CAD 2, JPY 0). */
const minorDigits = (currency: string | null): number =>
  currency ? (new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2) : 2;

/**
 * The seed's billing summary from the two amounts a stop has. The fee is what the trip is
 * charged for (its base fare; the hub knows no mileage or wait charges); the total adds the
 * order amount, which the summary showed as the total before stops had fees, so a fee-less trip
 * keeps its total. Summed in minor units so cents stay exact.
 */
function billingOf(f: TripFacts): Trip['billing_summary'] {
  if (f.orderAmount === null && f.fee === null) return null;
  const digits = minorDigits(f.currency);
  const scale = 10 ** digits;
  const total = Math.round((f.orderAmount ?? 0) * scale) + (f.fee ?? 0);
  return {
    billing_status: isTerminal(f.status) ? 'final' : 'estimated',
    total_amount: (total / scale).toFixed(digits),
    currency: f.currency,
    base_fare: f.fee === null ? null : (f.fee / scale).toFixed(digits),
    mileage_charge: null,
    wait_time_charge: null,
    is_final: isTerminal(f.status),
  };
}

const minutesBetween = (from: string | null, to: string | null): number | null => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 60_000) : null);

/**
 * The one Naveera trip: the Partner API's trips are this, and a webhook's or polled event's
 * `data.trip` is the seed's flattened subset of it (naveeraEventTrip). Fields the hub does not
 * know are null, never invented.
 */
export function naveeraTrip(f: TripFacts, opts: { billing: boolean }): Trip {
  const pickedUp = iso(f.pickedUpAt);
  const completed = iso(f.completedAt);
  const windowFrom = iso(f.windowFrom);
  return {
    id: f.tripId,
    trip_number: f.stopId,
    broker_trip_id: f.brokerTripId,
    external_trip_id: f.externalRef,
    trip_type: windowFrom ? 'scheduled' : null,
    trip_date: (windowFrom ?? iso(f.createdAt)).slice(0, 10),
    purpose: null,
    status: statusWordIn(NAVEERA_WORDS, f.status, f.failureReason) as Trip['status'],
    scheduled_pickup_time: windowFrom,
    actual_pickup_time: pickedUp,
    actual_dropoff_time: completed,
    estimated_duration_minutes: null,
    actual_duration_minutes: minutesBetween(pickedUp, completed),
    // The hub keeps addresses whole, so each is given whole as the street.
    pickup: { street: f.pickupAddress, city: null, state: null, zip_code: null, scheduled_time: windowFrom, completed_at: pickedUp },
    dropoff: { street: f.address, city: null, state: null, zip_code: null, scheduled_time: iso(f.windowTo), completed_at: completed },
    passenger_name: f.customerName,
    is_assigned: f.driverId !== null,
    vehicle_type: null,
    driver: f.driverId && f.driverName ? { driver_id: f.driverId, display_name: f.driverName } : null,
    vehicle: null,
    map_snapshot_url: null,
    route_snapshot_url: null,
    videos: [],
    cancellation_location: null,
    billing_summary: opts.billing ? billingOf(f) : null,
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
  };
}

/** The seed's webhook trip: the trip's flat fields, addresses as strings (and the status it left). */
export function naveeraEventTrip(trip: Trip, previousStatus: string | null) {
  return {
    id: trip.id,
    trip_number: trip.trip_number,
    broker_trip_id: trip.broker_trip_id,
    status: trip.status,
    previous_status: previousStatus,
    trip_date: trip.trip_date,
    scheduled_pickup_time: trip.scheduled_pickup_time,
    actual_pickup_time: trip.actual_pickup_time,
    actual_dropoff_time: trip.actual_dropoff_time,
    pickup_address: trip.pickup.street,
    dropoff_address: trip.dropoff.street,
    passenger_name: trip.passenger_name,
    is_assigned: trip.is_assigned,
    vehicle_type: trip.vehicle_type,
  };
}
