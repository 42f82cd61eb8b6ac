/**
 * Every dialect end to end: a real stop and driver lifecycle through the API, delivered to a
 * loopback receiver that checks signatures the way that provider's seed shows.
 */
import { type CanonicalEvent, deliveryNames, PROFILES, PROVIDERS, type ProviderName } from '../common/dialects/profiles';
import * as verify from '../common/dialects/verify';
import { startTestHub, type TestHub } from './support/hub';
import { createDriver, createStop } from './support/fixtures';
import { type Received, Receiver } from './support/receiver';
import { SEED_VERIFIERS } from './support/seed-verifiers';

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

const nameOf: Record<ProviderName, (b: any) => string> = {
  courrex: (b) => b.type,
  kourier: (b) => b.event,
  zippex: (b) => b.type,
  easyroutes: (b) => b.topic,
  naveera: (b) => b.event_type,
  standard: (b) => b.type,
};

/** The hub's own verify module, as a receiver would call it. */
function hubVerify(provider: ProviderName, r: Received, secret: string, body: Buffer = r.rawBody): boolean {
  const h = (n: string) => r.headers[n] as string | undefined;
  switch (provider) {
    case 'courrex':
      return verify.verifyCourrex(body, h('x-courrex-signature'), secret);
    case 'kourier':
      return verify.verifyKourier(h('authorization'), secret);
    case 'zippex':
      return verify.verifyZippex(body, h('zippex-signature'), secret);
    case 'naveera':
      return verify.verifyNaveera(body, h('x-naveera-signature'), secret);
    case 'easyroutes':
      return verify.verifyEasyRoutes(body, h('x-easyroutes-hmac-sha256'), secret);
    case 'standard':
      return verify.verifyStandard(body, { 'webhook-id': h('webhook-id'), 'webhook-timestamp': h('webhook-timestamp'), 'webhook-signature': h('webhook-signature') }, secret);
  }
}

/** The walk below as events: type, status before, status after. */
const LIFECYCLE: [CanonicalEvent, string | null, string | null][] = [
  ['driver.online', 'offline', null],
  ['stop.created', null, 'pending'],
  ['stop.assigned', 'pending', 'assigned'],
  ['stop.picked_up', 'assigned', 'picked_up'],
  ['stop.in_transit', 'picked_up', 'in_transit'],
  ['stop.completed', 'in_transit', 'completed'],
  ['driver.offline', 'online', null],
];

describe.each(PROVIDERS)('the %s dialect', (provider) => {
  test('gets every event under the profile table\'s names, in its envelope, signed so the seed\'s own check accepts it', async () => {
    const t = await hub.tenant();
    const path = `/${provider}/${t.tenantId}`;
    const created = await hub.call('POST', '/v1/webhooks/subscriptions', {
      key: t.key,
      body: { url: `${receiver.url}${path}`, provider, events: ['*'], name: `${provider} receiver` },
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    if (provider === 'zippex' || provider === 'standard') expect(secret).toMatch(/^whsec_/);
    if (provider === 'easyroutes') expect(Buffer.from(secret, 'base64').length).toBe(32);

    const driver = await createDriver(hub, t.key);
    const stop = await createStop(hub, t.key);
    for (const [action, body] of [['assign', { driver_id: driver.id }], ['pick-up'], ['depart'], ['complete', { notes: 'ok' }]] as const) {
      expect((await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: t.key, body })).status).toBe(200);
    }
    expect((await hub.call('POST', `/v1/drivers/${driver.id}/offline`, { key: t.key })).status).toBe(200);

    const expected = LIFECYCLE.flatMap(([type, previous_status, status]) => deliveryNames(provider, { type, previous_status, payload: { status } }, [])).sort();
    const got = await receiver.waitFor(path, expected.length);
    await new Promise((r) => setTimeout(r, 500)); // nothing extra arrives
    expect(receiver.at(path).map((r) => nameOf[provider](r.body)).sort()).toEqual(expected);

    for (const r of got) {
      expect(SEED_VERIFIERS[provider](r.rawBody, r.headers, secret)).toBe(true);
      expect(hubVerify(provider, r, secret)).toBe(true);
      expect(SEED_VERIFIERS[provider](r.rawBody, r.headers, provider === 'easyroutes' ? Buffer.alloc(32, 1).toString('base64') : 'whsec_' + Buffer.alloc(32, 1).toString('base64'))).toBe(false);
      if (provider !== 'kourier') {
        // Change the last character of whichever id the body carries (always to a different one).
        const flip = (id: string) => id.replace(/.$/, (c) => (c === 'Z' ? 'Y' : 'Z'));
        const tampered = Buffer.from(r.rawBody.toString().replace(stop.id, flip(stop.id)));
        const byDriver = tampered.equals(r.rawBody) ? Buffer.from(r.rawBody.toString().replace(driver.id, flip(driver.id))) : tampered;
        // A body naming neither (naveera knows the stop by its integer trip id): change its first digit.
        const forged = byDriver.equals(r.rawBody) ? Buffer.from(r.rawBody.toString().replace(/\d/, (d) => (d === '1' ? '2' : '1'))) : byDriver;
        expect(forged.equals(r.rawBody)).toBe(false);
        expect(SEED_VERIFIERS[provider](forged, r.headers, secret)).toBe(false);
        expect(hubVerify(provider, r, secret, forged)).toBe(false);
      }
      expect(r.headers['content-type']).toBe('application/json');
    }

    const completedName = (PROFILES[provider].names['stop.completed'] ?? [])[0];
    const completed = completedName ? got.find((r) => nameOf[provider](r.body) === completedName)!.body : undefined;
    const any = got[0]!.body;
    switch (provider) {
      case 'courrex':
        expect(Object.keys(any).sort()).toEqual(['created_at', 'data', 'id', 'type']);
        expect(completed).toMatchObject({ type: 'stop.completed', data: { id: stop.id, status: 'completed' } });
        expect(completed.id).toMatch(/^evt_/);
        break;
      case 'kourier':
        expect(Object.keys(any).sort()).toEqual(['delivery_id', 'event', 'status', 'timestamp']);
        expect(got.find((r) => r.body.status === 'delivered')!.body).toMatchObject({ event: 'delivery.updated', delivery_id: stop.id });
        break;
      case 'zippex':
        expect(Object.keys(any).sort()).toEqual(['created_at', 'data', 'id', 'type']);
        expect(completed).toMatchObject({
          type: 'delivery.delivered',
          data: { id: stop.id, status: 'delivered', dropoff: { address: stop.address, name: stop.customer_name }, metadata: { order_id: stop.external_ref } },
        });
        expect(Date.parse(completed.data.delivered_at)).not.toBeNaN();
        break;
      case 'easyroutes': {
        for (const r of got) {
          expect(Object.keys(r.body).sort()).toEqual(['apiVersion', 'eventId', 'eventTimestamp', 'objectId', 'payload', 'topic']);
          expect(r.body.eventId).toMatch(/^evt-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
          expect(r.body.eventTimestamp).toMatch(/\+00:00$/);
          expect(r.body.apiVersion).toBe('V2024_07');
          expect(r.headers['x-easyroutes-event-id']).toBe(r.body.eventId);
          expect(r.headers['x-easyroutes-topic']).toBe(r.body.topic);
          expect(r.headers['x-easyroutes-version']).toBe('V2024_07');
          expect(r.headers['x-easyroutes-object-id']).toBe(r.body.objectId);
          expect(r.headers['x-easyroutes-event-timestamp']).toBe(r.body.eventTimestamp);
        }
        // Picked up and departed are both OUT_FOR_DELIVERY: said once.
        expect(got.filter((r) => r.body.payload?.status === 'OUT_FOR_DELIVERY')).toHaveLength(1);
        expect(got.find((r) => r.body.payload?.status === 'DELIVERED')!.body.payload).toMatchObject({ id: stop.id, externalId: stop.external_ref });
        break;
      }
      case 'naveera': {
        for (const r of got) {
          expect(Object.keys(r.body).sort()).toEqual(['api_version', 'created_at', 'data', 'event_id', 'event_type']);
          expect(r.body.api_version).toBe('2024-01-30');
          expect(r.headers['x-naveera-event-type']).toBe(r.body.event_type);
          expect(r.headers['x-naveera-event-id']).toBe(r.body.event_id);
        }
        // A trip is known by its integer id; broker_trip_id is the broker's own reference (this stop has no broker).
        const { trip_id } = await hub.db.selectFrom('stops').select('trip_id').where('id', '=', stop.id).executeTakeFirstOrThrow();
        expect(completed.data.trip).toMatchObject({ id: Number(trip_id), broker_trip_id: null, status: 'finished', previous_status: 'in_progress', dropoff_address: stop.address, passenger_name: stop.customer_name, is_assigned: true });
        // One event under two names: two deliveries, each with its own event id.
        const ids = got.map((r) => r.body.event_id);
        expect(new Set(ids).size).toBe(ids.length);
        break;
      }
      case 'standard':
        expect(Object.keys(any).sort()).toEqual(['data', 'timestamp', 'type']);
        expect(completed).toMatchObject({ type: 'stop.completed', data: { id: stop.id } });
        expect(got.map((r) => r.headers['webhook-id'])).toEqual(expect.arrayContaining([expect.stringMatching(/^evt_/)]));
        break;
    }

    const deliveries = await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${created.body.id}&page_size=100`, { key: t.key });
    expect(deliveries.body.total).toBe(expected.length);
    expect(deliveries.body.items.every((d: any) => d.status === 'succeeded' && d.attempt_count === 1)).toBe(true);
  });

  test('a test event arrives in the profile\'s test shape', async () => {
    const t = await hub.tenant();
    const path = `/test-${provider}/${t.tenantId}`;
    const sub = (await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}${path}`, provider } })).body;
    const res = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/test`, { key: t.key });
    expect(res.status).toBe(202);
    const [got] = await receiver.waitFor(path, 1);
    expect(nameOf[provider](got!.body)).toBe(PROFILES[provider].names.test![0]);
    expect(SEED_VERIFIERS[provider](got!.rawBody, got!.headers, sub.secret)).toBe(true);
    if (provider === 'easyroutes') expect(got!.body).not.toHaveProperty('payload');
    const delivery = await hub.call('GET', `/v1/webhooks/deliveries/${res.body.delivery_id}`, { key: t.key });
    expect(delivery.status).toBe(200);
    // Test events are not part of the tenant's event feed.
    const feed = await hub.call('GET', '/v1/events', { key: t.key });
    expect(feed.body.items).toEqual([]);
  });
});
