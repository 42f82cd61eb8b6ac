/** The sample stop a "send test event" delivery carries (the Courrex seed's example). */

/** The trip id brokers see for the sample stop (the Naveera seed's example). */
export const SAMPLE_TRIP_ID = 12345;
import type { StopResource } from '../schemas/stops';

export function sampleStop(now: string): StopResource {
  return {
    id: 'stop_00000000000000000000SAMPLE',
    status: 'pending',
    address: 'Pikk 19, 10123 Tallinn, Estonia',
    customer_name: 'Mia Lindqvist',
    phone: '+4521345678',
    order_amount: 245,
    payment_method: 'prepaid',
    time_window: { from: '2026-05-08T07:00:00.000Z', to: '2026-05-08T10:00:00.000Z' },
    notes: 'Use back entrance via courtyard',
    external_ref: 'order-2026-04812',
    broker_id: null,
    broker_trip_id: null,
    pickup: { address: 'Viru väljak 4, 10111 Tallinn, Estonia', name: 'Old Town Kitchen', geocoded: null },
    fee: 1249,
    currency: 'EUR',
    zone: null,
    driver_id: null,
    geocoded: { lat: 59.43696, lng: 24.75353, confidence: 'medium' },
    geocode_warnings: [],
    completion: null,
    failure: null,
    cancellation: null,
    picked_up_at: null,
    version: 1,
    created_at: now,
    updated_at: now,
  };
}
