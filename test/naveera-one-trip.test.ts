/**
 * One trip, three ways: the Partner API's trip, a polled event and a webhook received by a real
 * loopback receiver show the same trip for a stop with a fee in CAD. The webhook's and the polled
 * event's trip are the seed's flattened subset of the REST trip (addresses as strings, no
 * billing), with the same values; the REST trip's billing summary carries the stop's currency
 * and counts its fee.
 */
import { PARTNER_BASE } from '../api/partner/operations';
import { createPartner, createPartnerKey, linkPartner } from '../common/partners/partners';
import { createDriver, createStop, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { Receiver } from './support/receiver';
import { naveeraSeed } from './support/seed-verifiers';

let hub: TestHub;
let receiver: Receiver;
let tenant: TestTenant;
let cred = '';

const pcall = (method: string, p: string, body?: unknown) => hub.call(method, `${PARTNER_BASE}${p}`, { key: cred, body });

beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  tenant = await hub.tenant();
  const partner = await createPartner(hub.db, 'Broker One Trip', 'enterprise');
  await linkPartner(hub.db, partner.id, tenant.tenantId);
  const key = await createPartnerKey(hub.db, { partnerId: partner.id, env: 'test' });
  cred = `${key.keyId}:${key.secret}`;
}, 60_000);

afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

/** The seed's webhook trip, read off a REST trip: its flat fields, addresses as strings. */
const flattened = (t: any, previousStatus: string | null) => ({
  id: t.id,
  trip_number: t.trip_number,
  broker_trip_id: t.broker_trip_id,
  status: t.status,
  previous_status: previousStatus,
  trip_date: t.trip_date,
  scheduled_pickup_time: t.scheduled_pickup_time,
  actual_pickup_time: t.actual_pickup_time,
  actual_dropoff_time: t.actual_dropoff_time,
  pickup_address: t.pickup.street,
  dropoff_address: t.dropoff.street,
  passenger_name: t.passenger_name,
  is_assigned: t.is_assigned,
  vehicle_type: t.vehicle_type,
});

test('a CAD stop with a fee: REST trip, polled event and received webhook show the same trip', async () => {
  const sub = await pcall('POST', '/webhooks/subscriptions', { url: `${receiver.url}/trips` });
  expect(sub.status).toBe(201);
  const partnerId = (await pcall('GET', '/me')).body.partner_id;
  const driver = await createDriver(hub, tenant.key, { name: 'Dana Driver' });
  const stop = await createStop(hub, tenant.key, {
    broker_id: partnerId,
    broker_trip_id: 'BRK-CAD-1',
    customer_name: 'John Doe',
    order_amount: 42.5,
    fee: 1249,
    currency: 'CAD',
    pickup: { address: '350 W Georgia St, Vancouver, BC V6B 6B1', name: 'Coastal Bites' },
    time_window: { from: '2026-12-01T14:00:00Z', to: '2026-12-01T15:00:00Z' },
  });
  for (const [action, body] of [['assign', { driver_id: driver.id }], ['pick-up'], ['depart'], ['complete']] as const) {
    const res = await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: tenant.key, body });
    expect([action, res.status]).toEqual([action, 200]);
  }

  const hooks = await eventually(async () => receiver.at('/trips'), (got) => got.some((r) => r.body.event_type === 'trip.completed'));
  const hook = hooks.find((r) => r.body.event_type === 'trip.completed')!;
  expect(naveeraSeed(hook.rawBody, hook.headers, sub.body.secret)).toBe(true);

  const list = await pcall('GET', '/trips');
  expect(list.status).toBe(200);
  const rest = list.body.items.find((t: any) => t.trip_number === stop.id);
  expect((await pcall('GET', `/trips/${rest.id}`)).body).toEqual(rest);

  const polled = await pcall('GET', '/webhooks/events?event_type=trip.completed');
  expect(polled.status).toBe(200);
  expect(polled.body.items).toHaveLength(1);

  // The trip part, the same in all three: what the seed's webhook trip shows, with REST's values.
  const trip = flattened(rest, 'in_progress');
  expect(hook.body.data.trip).toEqual(trip);
  expect(polled.body.items[0].payload).toEqual(hook.body);
  // Values, not just shapes: the fields the webhook used to lack are there and real.
  expect(trip).toMatchObject({ trip_number: stop.id, status: 'finished', vehicle_type: null, pickup_address: '350 W Georgia St, Vancouver, BC V6B 6B1' });
  expect(Date.parse(trip.actual_pickup_time)).toBeLessThanOrEqual(Date.parse(trip.actual_dropoff_time));
  expect(rest.actual_duration_minutes).toEqual(expect.any(Number));
  // Every earlier webhook of the trip carries its times as they were then.
  const pickedUp = hooks.find((r) => r.body.data.trip.status === 'arrived')!;
  expect(pickedUp.body.data.trip).toMatchObject({ actual_pickup_time: trip.actual_pickup_time, actual_dropoff_time: null });

  // Billing: the stop's currency; the fee is the base fare and counts in the total.
  expect(rest.billing_summary).toEqual({
    billing_status: 'final',
    total_amount: '54.99',
    currency: 'CAD',
    base_fare: '12.49',
    mileage_charge: null,
    wait_time_charge: null,
    is_final: true,
  });
}, 60_000);

test('billing follows the currency\'s minor unit; a fee-less trip keeps its order amount as the total', async () => {
  const partnerId = (await pcall('GET', '/me')).body.partner_id;
  const yen = await createStop(hub, tenant.key, { broker_id: partnerId, order_amount: 1000, fee: 500, currency: 'JPY' });
  const plain = await createStop(hub, tenant.key, { broker_id: partnerId, order_amount: 42.5 });
  const items = (await pcall('GET', '/trips?page_size=100')).body.items;
  const byStop = (id: string) => items.find((t: any) => t.trip_number === id).billing_summary;
  expect(byStop(yen.id)).toMatchObject({ total_amount: '1500', base_fare: '500', currency: 'JPY', is_final: false, billing_status: 'estimated' });
  expect(byStop(plain.id)).toMatchObject({ total_amount: '42.50', base_fare: null, currency: null });
});
