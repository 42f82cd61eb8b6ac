/** A stop row as the REST API (and every event snapshot) shows it. */
import type { StopRow } from '../db/schema';
import { iso } from '../iso';
import type { StopResource } from '../schemas/stops';


/** Any stop row (before or after the database gave it its trip id, which tenants do not see). */
export function toStopResource(row: Omit<StopRow, 'trip_id' | 'eta_at' | 'eta_announced_at'> & Partial<Pick<StopRow, 'eta_at' | 'eta_announced_at'>>): StopResource {
  const g = row.geocoded;
  return {
    id: row.id,
    status: row.status,
    address: row.address,
    customer_name: row.customer_name,
    phone: row.phone,
    order_amount: row.order_amount === null ? null : Number(row.order_amount),
    payment_method: row.payment_method,
    time_window:
      row.time_window_from && row.time_window_to
        ? { from: iso(row.time_window_from), to: iso(row.time_window_to) }
        : null,
    notes: row.notes,
    external_ref: row.external_ref,
    broker_id: row.broker_id,
    broker_trip_id: row.broker_trip_id,
    pickup: row.pickup_address
      ? { address: row.pickup_address, name: row.pickup_name, geocoded: row.pickup_geocoded ? { lat: row.pickup_geocoded.lat, lng: row.pickup_geocoded.lng, confidence: row.pickup_geocoded.confidence } : null }
      : null,
    fee: row.fee === null ? null : Number(row.fee),
    currency: row.currency,
    zone: row.zone,
    driver_id: row.driver_id,
    geocoded: g ? { lat: g.lat, lng: g.lng, confidence: g.confidence } : null,
    geocode_warnings: g?.warnings ?? [],
    completion: row.completion,
    failure: row.failure,
    cancellation: row.cancellation,
    picked_up_at: iso(row.picked_up_at),
    version: row.version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
