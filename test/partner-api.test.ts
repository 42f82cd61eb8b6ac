/**
 * The Naveera Partner API against a real hub: two provider tenants hand trips to two brokers.
 * The seed's own Python and JS clients (test/partner-clients, changed only in base URL and
 * credentials) list, filter and read trips and verify webhook signatures; each broker sees only
 * its own trips; nothing of the seed's hidden table appears in any answer, webhook or polled
 * event; bad input gets the seed's error shapes and writes nothing.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startApi } from '../api/server';
import { PARTNER_BASE, PARTNER_OPERATIONS } from '../api/partner/operations';
import { openApiPath } from '../api/openapi-document';
import { createPartner, createPartnerKey, linkPartner, revokePartnerKey } from '../common/partners/partners';
import { PYTHON_LIB_DIR } from '../dev/tools';
import { createStop, eventually, stopBody } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { ok, Receiver, type Received } from './support/receiver';
// The seed's JS client is plain CommonJS, as the seed wrote it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NaveeraPartnerClient } = require('./partner-clients/naveera-partner-client.js');

let hub: TestHub;
let receiver: Receiver;
let tenantA: TestTenant;
let tenantB: TestTenant;
const partner = { x: '', y: '', z: '' };
/** `key_id:secret` per broker key. */
const cred = { x: { keyId: '', secret: '' }, xReadOnly: '', y: '' };
const xCred = (): string => `${cred.x.keyId}:${cred.x.secret}`;
const stops: Record<'a1' | 'a2' | 'a3' | 'b1', any> = {} as any;
const trips: Record<'a1' | 'a2' | 'a3' | 'b1', number> = {} as any;
const subs: Record<'all' | 'seed' | 'y', any> = {} as any;
const DRIVER_PHONE = '+4520009999';
const A1_PHONE = '+4520000001';
const A1_NOTES = 'SECRET-NOTE-A1 back door code 4471';

const pcall = (method: string, p: string, key: string | undefined, opts: { body?: unknown; headers?: Record<string, string> } = {}) =>
  hub.call(method, `${PARTNER_BASE}${p}`, { key, ...opts });

async function move(t: TestTenant, stopId: string, action: string, body?: unknown): Promise<void> {
  const res = await hub.call('POST', `/v1/stops/${stopId}/${action}`, { key: t.key, body });
  expect([action, res.status]).toEqual([action, 200]);
}

async function tripIdOf(stopId: string): Promise<number> {
  const row = await hub.db.selectFrom('stops').select('trip_id').where('id', '=', stopId).executeTakeFirstOrThrow();
  return Number(row.trip_id);
}

beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  [tenantA, tenantB] = [await hub.tenant(), await hub.tenant()];
  partner.x = (await createPartner(hub.db, 'Broker X', 'enterprise')).id;
  partner.y = (await createPartner(hub.db, 'Broker Y', 'enterprise')).id;
  partner.z = (await createPartner(hub.db, 'Broker Z', 'standard')).id;
  await linkPartner(hub.db, partner.x, tenantA.tenantId);
  await linkPartner(hub.db, partner.y, tenantA.tenantId);
  await linkPartner(hub.db, partner.x, tenantB.tenantId);
  const xKey = await createPartnerKey(hub.db, { partnerId: partner.x, env: 'test' });
  cred.x = { keyId: xKey.keyId, secret: xKey.secret };
  const ro = await createPartnerKey(hub.db, { partnerId: partner.x, scopes: ['trips:read'], env: 'test' });
  cred.xReadOnly = `${ro.keyId}:${ro.secret}`;
  const yKey = await createPartnerKey(hub.db, { partnerId: partner.y, env: 'live' });
  cred.y = `${yKey.keyId}:${yKey.secret}`;

  // The seed's own subscription example (no provider named), and one for every event.
  const seedBody = { url: `${receiver.url}/x-seed`, events: ['trip.status_changed', 'trip.completed', 'trip.canceled'], name: 'Production Webhook' };
  subs.seed = (await pcall('POST', '/webhooks/subscriptions', xCred(), { body: seedBody })).body;
  subs.all = (await pcall('POST', '/webhooks/subscriptions', xCred(), { body: { url: `${receiver.url}/x-all` } })).body;
  subs.y = (await pcall('POST', '/webhooks/subscriptions', cred.y, { body: { url: `${receiver.url}/y-all` } })).body;

  const driver = await hub.call('POST', '/v1/drivers', { key: tenantA.key, body: { name: 'Dana Driver', phone: DRIVER_PHONE } });
  await hub.call('POST', `/v1/drivers/${driver.body.id}/online`, { key: tenantA.key });
  stops.a1 = await createStop(hub, tenantA.key, {
    broker_id: partner.x,
    broker_trip_id: 'BRK-12345',
    customer_name: 'John Doe',
    phone: A1_PHONE,
    notes: A1_NOTES,
    order_amount: 42.5,
    time_window: { from: '2026-12-01T14:00:00Z', to: '2026-12-01T15:00:00Z' },
  });
  stops.a2 = await createStop(hub, tenantA.key, { broker_id: partner.y, broker_trip_id: 'BRK-Y-1' });
  stops.a3 = await createStop(hub, tenantA.key);
  stops.b1 = await createStop(hub, tenantB.key, { broker_id: partner.x, broker_trip_id: 'BRK-B-1', time_window: { from: '2026-12-02T09:00:00Z', to: '2026-12-02T10:00:00Z' } });
  await move(tenantA, stops.a1.id, 'assign', { driver_id: driver.body.id });
  await move(tenantA, stops.a1.id, 'pick-up');
  await move(tenantA, stops.a1.id, 'depart');
  await move(tenantA, stops.a1.id, 'complete', { notes: A1_NOTES });
  for (const k of ['a1', 'a2', 'a3', 'b1'] as const) trips[k] = await tripIdOf(stops[k].id);
}, 60_000);

afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

/** Runs the seed's Python client as a separate process (async: the hub answers from this one). */
function runPythonClient(plan: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [path.join(__dirname, 'partner-clients', 'naveera_partner_client.py')], {
      env: { ...process.env, PYTHONPATH: PYTHON_LIB_DIR, NAVEERA_BASE_URL: `${hub.url}${PARTNER_BASE}`, NAVEERA_KEY_ID: cred.x.keyId, NAVEERA_SECRET_KEY: cred.x.secret },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`python exited ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(plan));
  });
}

const ids = (page: { items: { id: number }[] }): number[] => page.items.map((t) => t.id).sort((a, b) => a - b);

/** X's webhooks at a receiver path, once every polled event of X has arrived there. */
async function webhooksOfX(receiverPath: string, accept: (names: string[]) => boolean): Promise<Received[]> {
  return eventually(async () => receiver.at(receiverPath), (got) => accept(got.map((r) => r.body.event_type)), 20_000);
}

describe('the seed\'s clients, unchanged but for base URL and credentials', () => {
  test('Python: lists with filters, reads by id and external id, verifies signatures; another broker\'s trip is 404', async () => {
    const hooks = await webhooksOfX('/x-all', (names) => names.includes('trip.completed'));
    const signed = hooks.map((r) => ({ payload: r.rawBody.toString('utf8'), header: String(r.headers['x-naveera-signature']), secret: subs.all.secret }));
    const tampered = { ...signed[0]!, payload: signed[0]!.payload.replace('BRK', 'BRX') };
    const out = await runPythonClient({
      day: '2026-12-01',
      updated_since: '2020-01-01T00:00:00.123456',
      broker_trip_id: 'BRK-12345',
      trip_id: trips.a1,
      foreign_trip_id: trips.a2,
      webhooks: [...signed, tampered],
    });
    expect(ids(out.all)).toEqual([trips.a1, trips.b1].sort((a, b) => a - b));
    expect(out.all).toMatchObject({ total: 2, page: 1, page_size: 100, has_more: false });
    expect(out.active.total).toBe(0); // a1 is finished, b1 scheduled
    expect(ids(out.finished_on_day)).toEqual([trips.a1]);
    expect(out.updated_since.total).toBe(2);
    expect(out.updated_since_now.total).toBe(0);
    expect(out.by_external_id).toMatchObject({ id: trips.a1, broker_trip_id: 'BRK-12345', status: 'finished', passenger_name: 'John Doe' });
    expect(out.by_id).toEqual(out.by_external_id);
    expect(out.foreign).toEqual({ status: 404, body: { error: { code: 'TRIP_NOT_FOUND', message: `Trip with id ${trips.a2} not found`, details: {} } } });
    expect(out.signatures).toEqual([...signed.map(() => true), false]);
  }, 60_000);

  test('JS: lists with filters, reads by external id, verifies signatures', async () => {
    const x = new NaveeraPartnerClient(cred.x.keyId, cred.x.secret, `${hub.url}${PARTNER_BASE}`);
    const y = new NaveeraPartnerClient(...(cred.y.split(':') as [string, string]), `${hub.url}${PARTNER_BASE}`);
    const scheduled = await x.listTrips({ status: ['scheduled'], tripDateFrom: '2026-12-02' });
    expect(ids(scheduled)).toEqual([trips.b1]);
    expect(ids(await x.listTrips({ pageSize: 1 }))).toHaveLength(1);
    expect(await x.listTrips({ pageSize: 1, page: 2 })).toMatchObject({ total: 2, page: 2, page_size: 1, has_more: false });
    expect((await x.getTripByExternalId('BRK-B-1')).id).toBe(trips.b1);
    expect(ids(await y.listTrips())).toEqual([trips.a2]);
    await expect(y.getTripByExternalId('BRK-12345')).rejects.toMatchObject({ response: { status: 404, data: { error: { code: 'TRIP_NOT_FOUND' } } } });

    const hooks = await webhooksOfX('/x-seed', (names) => names.includes('trip.completed'));
    for (const r of hooks) {
      expect(x.verifyWebhookSignature(r.rawBody.toString(), r.headers['x-naveera-signature'], subs.seed.secret)).toBe(true);
      expect(x.verifyWebhookSignature(r.rawBody.toString().replace('"trip"', '"trap"'), r.headers['x-naveera-signature'], subs.seed.secret)).toBe(false);
    }
    // The seed example's filter: only its three names arrive.
    expect([...new Set(hooks.map((r) => r.body.event_type))].sort()).toEqual(['trip.completed', 'trip.status_changed']);
  });
});

describe('trips', () => {
  test('a finished trip as the seed shows it: Naveera words, times from the stop, driver by name, billing only with billing:read', async () => {
    const full = await pcall('GET', `/trips/${trips.a1}`, xCred());
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({
      id: trips.a1,
      trip_number: stops.a1.id,
      broker_trip_id: 'BRK-12345',
      external_trip_id: stops.a1.external_ref,
      trip_type: 'scheduled',
      trip_date: '2026-12-01',
      status: 'finished',
      scheduled_pickup_time: '2026-12-01T14:00:00.000Z',
      passenger_name: 'John Doe',
      is_assigned: true,
      driver: { driver_id: stops.a1.driver_id ?? expect.any(String), display_name: 'Dana Driver' },
      dropoff: { street: stops.a1.address, scheduled_time: '2026-12-01T15:00:00.000Z' },
      billing_summary: { total_amount: '42.50', is_final: true, billing_status: 'final', currency: null },
      vehicle: null,
      purpose: null,
    });
    expect(full.body.actual_pickup_time).toEqual(expect.any(String));
    expect(full.body.actual_dropoff_time).toEqual(expect.any(String));
    expect(full.body.dropoff.completed_at).toBe(full.body.actual_dropoff_time);
    const readOnly = await pcall('GET', `/trips/${trips.a1}`, cred.xReadOnly);
    expect(readOnly.body.billing_summary).toBeNull();

    const history = await pcall('GET', `/trips/${trips.a1}/status-history`, xCred());
    expect(history.body).toMatchObject({ trip_id: trips.a1, broker_trip_id: 'BRK-12345' });
    expect(history.body.history.map((h: any) => [h.from_status, h.to_status])).toEqual([
      [null, 'scheduled'],
      ['scheduled', 'assigned'],
      ['assigned', 'arrived'],
      ['arrived', 'in_progress'],
      ['in_progress', 'finished'],
    ]);
    const late = await pcall('GET', `/trips/${trips.a1}/status-history?from_date=2099-01-01`, xCred());
    expect(late.body.history).toEqual([]);
    const noScope = await pcall('GET', `/trips/${trips.a1}/status-history`, cred.xReadOnly);
    expect(noScope.status).toBe(403);
    expect(noScope.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required_scope: 'trips:lifecycle' } });
  });

  test('groups: the seed\'s four, each trip in exactly one', async () => {
    const byGroup: Record<string, number[]> = {};
    for (const g of ['completed', 'canceled', 'in_progress', 'not_started']) {
      const res = await pcall('GET', `/trips/by-group/${g}?page_size=100`, xCred());
      expect(res.body.group).toBe(g);
      byGroup[g] = ids(res.body);
    }
    expect(byGroup).toEqual({ completed: [trips.a1], canceled: [], in_progress: [], not_started: [trips.b1] });
  });

  test('isolation: another broker\'s trip, a trip with no broker and a missing id are the same 404 on every trip route', async () => {
    for (const id of [trips.a2, trips.a3, 999_999_999]) {
      for (const p of [`/trips/${id}`, `/trips/${id}/status-history`]) {
        const res = await pcall('GET', p, xCred());
        expect([p, res.status, res.body]).toEqual([p, 404, { error: { code: 'TRIP_NOT_FOUND', message: `Trip with id ${id} not found`, details: {} } }]);
      }
    }
    const foreignRef = await pcall('GET', '/trips/by-external-id/BRK-Y-1', xCred());
    expect([foreignRef.status, foreignRef.body.error.code]).toEqual([404, 'TRIP_NOT_FOUND']);
    const filtered = await pcall('GET', '/trips?broker_trip_id=BRK-Y-1', xCred());
    expect(filtered.body.total).toBe(0);
    const yList = await pcall('GET', '/trips', cred.y);
    expect(ids(yList.body)).toEqual([trips.a2]);
  });
});

describe('tenants hand stops to brokers', () => {
  test('only to a linked partner, on create, bulk import and PATCH; a broker\'s reference is unique per broker', async () => {
    const unlinked = await hub.call('POST', '/v1/stops', { key: tenantB.key, body: stopBody({ broker_id: partner.y }) });
    expect(unlinked.status).toBe(400);
    expect(unlinked.body.error.details.field).toBe('broker_id');
    const unknown = await hub.call('POST', '/v1/stops', { key: tenantB.key, body: stopBody({ broker_id: '00000000-0000-4000-8000-000000000000' }) });
    expect(unknown.status).toBe(400);
    const notUuid = await hub.call('POST', '/v1/stops', { key: tenantB.key, body: stopBody({ broker_id: 'broker-x' }) });
    expect(notUuid.status).toBe(400);

    const before = await hub.db.selectFrom('stops').select(({ fn }) => fn.countAll<string>().as('n')).where('tenant_id', '=', tenantB.tenantId).executeTakeFirstOrThrow();
    const bulk = await hub.call('POST', '/v1/stops/bulk', { key: tenantB.key, body: [stopBody({ broker_id: partner.x }), stopBody({ broker_id: partner.y })] });
    expect(bulk.status).toBe(400);
    expect(bulk.body.error.details).toMatchObject({ invalid_items: [1], errors: [{ index: 1, field: 'broker_id' }] });
    const after = await hub.db.selectFrom('stops').select(({ fn }) => fn.countAll<string>().as('n')).where('tenant_id', '=', tenantB.tenantId).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);

    const patch = await hub.call('PATCH', `/v1/stops/${stops.b1.id}`, { key: tenantB.key, body: { broker_id: partner.y } });
    expect(patch.status).toBe(400);

    const dup = await hub.call('POST', '/v1/stops', { key: tenantB.key, body: stopBody({ broker_id: partner.x, broker_trip_id: 'BRK-12345' }) });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details.field).toBe('broker_trip_id');
    // Another broker may use the same reference.
    const otherBroker = await hub.call('POST', '/v1/stops', { key: tenantA.key, body: stopBody({ broker_id: partner.y, broker_trip_id: 'BRK-12345' }) });
    expect(otherBroker.status).toBe(201);
    expect(otherBroker.body).toMatchObject({ broker_id: partner.y, broker_trip_id: 'BRK-12345' });
    const handed = await hub.call('PATCH', `/v1/stops/${otherBroker.body.id}`, { key: tenantA.key, body: { broker_id: null, broker_trip_id: null } });
    expect(handed.status).toBe(200);
    expect((await pcall('GET', '/trips/by-external-id/BRK-12345', cred.y)).status).toBe(404);
  });
});

describe('events: polling and webhooks', () => {
  test('trip.* names, the envelope webhooks carry, the same event_id in both; `after` pages exactly once', async () => {
    const all = await pcall('GET', '/webhooks/events?limit=1000', xCred());
    expect(all.status).toBe(200);
    const items = all.body.items as any[];
    expect(items.every((e) => e.event_type.startsWith('trip.') && e.partner_id === partner.x && e.api_version === '2024-01-30')).toBe(true);
    expect(new Set(items.map((e) => e.trip_id))).toEqual(new Set([trips.a1, trips.b1]));
    expect(items.filter((e) => e.trip_id === trips.a1).map((e) => e.event_type)).toEqual([
      'trip.created',
      'trip.assigned',
      'trip.status_changed',
      'trip.status_changed',
      'trip.status_changed',
      'trip.completed',
      'trip.status_changed',
    ]);
    const completed = items.find((e) => e.event_type === 'trip.completed');
    expect(completed.payload).toMatchObject({ event_id: completed.event_id, event_type: 'trip.completed', data: { trip: { id: trips.a1, broker_trip_id: 'BRK-12345', status: 'finished' } } });
    expect(Date.parse(completed.expires_at) - Date.parse(completed.created_at)).toBe(7 * 24 * 3600 * 1000);

    // Every polled event reaches the all-events subscription with the same event_id and body.
    const hooks = await webhooksOfX('/x-all', (names) => names.length >= items.length);
    const byId = new Map(hooks.map((r) => [String(r.headers['x-naveera-event-id']), r.body]));
    for (const e of items) expect([e.event_id, byId.get(e.event_id)]).toEqual([e.event_id, e.payload]);
    expect(hooks).toHaveLength(items.length);

    // Paging with `after`: every item once, in order.
    const seen: string[] = [];
    let after: number | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const page: any = await pcall('GET', `/webhooks/events?limit=2${after === null ? '' : `&after=${after}`}`, xCred());
      seen.push(...page.body.items.map((e: any) => e.event_id));
      after = page.body.next_cursor;
      if (!page.body.has_more) break;
    }
    expect(seen).toEqual(items.map((e) => e.event_id));
    const empty = await pcall('GET', `/webhooks/events?after=${after}`, xCred());
    expect(empty.body).toMatchObject({ items: [], total: 0, has_more: false, next_cursor: after });

    const filtered = await pcall('GET', '/webhooks/events?event_type=trip.completed', xCred());
    expect(filtered.body.items.map((e: any) => e.event_id)).toEqual([completed.event_id]);
    const since = await pcall('GET', `/webhooks/events?since=${encodeURIComponent(completed.created_at)}`, xCred());
    expect(since.body.items.every((e: any) => Date.parse(e.created_at) > Date.parse(completed.created_at))).toBe(true);
    const yEvents = await pcall('GET', '/webhooks/events', cred.y);
    const yTrips = new Set(yEvents.body.items.map((e: any) => e.trip_id));
    expect([yTrips.has(trips.a2), yTrips.has(trips.a1), yTrips.has(trips.b1)]).toEqual([true, false, false]);
  });
});

describe('webhook subscriptions and deliveries', () => {
  test('CRUD in the seed\'s shapes: UUID ids, secret once, rotate, delete 204; another partner\'s is 404', async () => {
    expect(subs.seed).toMatchObject({ partner_id: partner.x, url: `${receiver.url}/x-seed`, events: ['trip.status_changed', 'trip.completed', 'trip.canceled'], name: 'Production Webhook', is_active: true, consecutive_failures: 0 });
    expect(subs.seed.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(subs.seed.secret).toMatch(/^[0-9a-f]{64}$/);
    const list = await pcall('GET', '/webhooks/subscriptions', xCred());
    expect(list.body.total).toBe(list.body.items.length);
    expect(list.body.items.every((s: any) => s.secret === undefined && s.partner_id === partner.x)).toBe(true);

    const body = { url: `${receiver.url}/x-crud`, events: ['trip.created'] };
    const created = await pcall('POST', '/webhooks/subscriptions', xCred(), { body, headers: { 'idempotency-key': 'create-webhook-2024-01-30-001' } });
    expect(created.status).toBe(201);
    const replay = await pcall('POST', '/webhooks/subscriptions', xCred(), { body, headers: { 'idempotency-key': 'create-webhook-2024-01-30-001' } });
    expect(replay.headers.get('x-idempotency-replayed')).toBe('true');
    expect(replay.body).toEqual(created.body);
    const id = created.body.id;

    const patched = await pcall('PATCH', `/webhooks/subscriptions/${id}`, xCred(), { body: { events: ['trip.canceled'], description: 'cancellations only', is_active: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['trip.canceled'], description: 'cancellations only', is_active: true, url: body.url });
    const rotated = await pcall('POST', `/webhooks/subscriptions/${id}/rotate-secret`, xCred());
    expect(Object.keys(rotated.body).sort()).toEqual(['rotated_at', 'secret']);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    for (const [m, p] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret']]) {
      const foreign = await pcall(m!, `/webhooks/subscriptions/${id}${p}`, cred.y, { body: m === 'PATCH' ? { name: 'mine now' } : undefined });
      expect([m, p, foreign.status, foreign.body.error?.code]).toEqual([m, p, 404, 'NOT_FOUND']);
    }
    const deleted = await pcall('DELETE', `/webhooks/subscriptions/${id}`, xCred());
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expect((await pcall('GET', `/webhooks/subscriptions/${id}`, xCred())).status).toBe(404);
  });

  test('too many subscriptions: SUBSCRIPTION_LIMIT_EXCEEDED', async () => {
    const p = await createPartner(hub.db, 'Busy Broker', 'enterprise');
    const k = await createPartnerKey(hub.db, { partnerId: p.id });
    const c = `${k.keyId}:${k.secret}`;
    for (let i = 0; i < hub.config.maxSubscriptionsPerTenant; i++) {
      expect((await pcall('POST', '/webhooks/subscriptions', c, { body: { url: `${receiver.url}/busy-${i}` } })).status).toBe(201);
    }
    const over = await pcall('POST', '/webhooks/subscriptions', c, { body: { url: `${receiver.url}/busy-over` } });
    expect([over.status, over.body.error.code]).toEqual([400, 'SUBSCRIPTION_LIMIT_EXCEEDED']);
  });

  test('deliveries by integer id with the seed\'s fields; retry only a failed one', async () => {
    const list = await pcall('GET', `/webhooks/deliveries?subscription_id=${subs.all.id}&page_size=100`, xCred());
    expect(list.status).toBe(200);
    const d = list.body.items[0];
    expect(Object.keys(d).sort()).toEqual(
      ['attempt_count', 'created_at', 'delivered_at', 'error_message', 'event_id', 'failed_at', 'first_attempted_at', 'id', 'last_attempted_at', 'max_attempts', 'next_retry_at', 'response_status', 'response_time_ms', 'status', 'subscription_id'].sort(),
    );
    expect(Number.isInteger(d.id)).toBe(true);
    expect(d).toMatchObject({ subscription_id: subs.all.id, max_attempts: 8 });
    const polled = new Set((await pcall('GET', '/webhooks/events?limit=1000', xCred())).body.items.map((e: any) => e.event_id));
    expect(list.body.items.every((x: any) => polled.has(x.event_id))).toBe(true);
    expect((await pcall('GET', `/webhooks/deliveries/${d.id}`, xCred())).body).toEqual(d);
    expect((await pcall('GET', `/webhooks/deliveries/${d.id}`, cred.y)).status).toBe(404);

    const succeeded = list.body.items.find((x: any) => x.status === 'succeeded');
    const notRetryable = await pcall('POST', `/webhooks/deliveries/${succeeded.id}/retry`, xCred());
    expect([notRetryable.status, notRetryable.body.error.code]).toEqual([400, 'DELIVERY_NOT_RETRYABLE']);

    // A receiver that answers 410 Gone once: the delivery fails and the subscription switches off.
    receiver.on('/x-gone', (r, nth, res) => (nth === 1 ? res.writeHead(410).end() : ok(r, nth, res)));
    const gone = await pcall('POST', '/webhooks/subscriptions', xCred(), { body: { url: `${receiver.url}/x-gone`, events: ['trip.created'] } });
    await createStop(hub, tenantA.key, { broker_id: partner.x });
    const failed = await eventually(
      async () => (await pcall('GET', `/webhooks/deliveries?subscription_id=${gone.body.id}&status=failed`, xCred())).body.items,
      (items: any[]) => items.length === 1,
    );
    expect(failed[0]).toMatchObject({ status: 'failed', response_status: 410, attempt_count: 1 });
    const whileOff = await pcall('POST', `/webhooks/deliveries/${failed[0].id}/retry`, xCred());
    expect([whileOff.status, whileOff.body.error.code]).toEqual([400, 'DELIVERY_NOT_RETRYABLE']);
    expect((await pcall('PATCH', `/webhooks/subscriptions/${gone.body.id}`, xCred(), { body: { is_active: true } })).body.is_active).toBe(true);
    const retried = await pcall('POST', `/webhooks/deliveries/${failed[0].id}/retry`, xCred());
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ delivery_id: failed[0].id, event_id: failed[0].event_id, status: 'retrying', message: 'Retry scheduled' });
    const done = await eventually(
      async () => (await pcall('GET', `/webhooks/deliveries/${failed[0].id}`, xCred())).body,
      (x: any) => x.status === 'succeeded',
    );
    expect(done).toMatchObject({ status: 'succeeded', attempt_count: 2, response_status: 200 });
  });
});

describe('nothing of the seed\'s hidden table, anywhere', () => {
  const HIDDEN_KEYS = new Set([
    // The seed's table
    'organization_id', 'organization_name', 'driver_phone', 'driver_license_number', 'driver_dob', 'driver_user_id', 'license_plate', 'vin', 'telematics_data',
    'passenger_phone', 'passenger_email', 'passenger_dob', 'passenger_medicaid_number', 'passenger_special_requirements', 'latitude', 'longitude', 'location_notes',
    'metadata', 'internal_notes', 'created_by', 'deleted_at',
    // The same data under the hub's own names
    'phone', 'email', 'notes', 'lat', 'lng', 'geocoded', 'tenant_id', 'completion', 'failure', 'cancellation', 'secret', 'secret_enc', 'zone',
  ]);

  function hiddenKeysIn(value: unknown, at = '$', out: string[] = []): string[] {
    if (Array.isArray(value)) value.forEach((v, i) => hiddenKeysIn(v, `${at}[${i}]`, out));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (HIDDEN_KEYS.has(k)) out.push(`${at}.${k}`);
        hiddenKeysIn(v, `${at}.${k}`, out);
      }
    }
    return out;
  }

  test('every partner GET route, every webhook a broker received, every polled event', async () => {
    const deliveries = await pcall('GET', '/webhooks/deliveries', xCred());
    const fill: Record<string, string[]> = {
      trip_id: [String(trips.a1)],
      broker_trip_id: ['BRK-12345'],
      group: ['completed', 'canceled', 'in_progress', 'not_started'],
      subscription_id: [subs.all.id],
      delivery_id: [String(deliveries.body.items[0].id)],
    };
    const answers: { path: string; body: unknown }[] = [];
    for (const o of PARTNER_OPERATIONS.filter((x) => x.method === 'get' && x.scope !== null)) {
      const rel = o.path.slice(PARTNER_BASE.length);
      const name = /:([a-z_]+)/.exec(rel)?.[1];
      for (const value of name ? fill[name]! : ['']) {
        const p = name ? rel.replace(`:${name}`, encodeURIComponent(value)) : rel;
        const res = await pcall('GET', p, xCred());
        expect([p, res.status]).toEqual([p, 200]);
        answers.push({ path: p, body: res.body });
      }
    }
    const webhooks = receiver.received.filter((r) => r.path.startsWith('/x-') || r.path === '/y-all').map((r) => ({ path: r.path, body: r.body }));
    expect(webhooks.length).toBeGreaterThan(10);
    for (const { path: p, body } of [...answers, ...webhooks]) expect([p, hiddenKeysIn(body)]).toEqual([p, []]);

    const everything = JSON.stringify([answers, webhooks]);
    for (const secret of [A1_PHONE, DRIVER_PHONE, A1_NOTES, 'Use back entrance', tenantA.tenantId, tenantB.tenantId]) expect(everything).not.toContain(secret);
    expect(answers.map((a) => a.path)).toEqual(expect.arrayContaining(['/webhooks/events', `/trips/${trips.a1}`, '/trips']));
  });
});

describe('errors in the seed\'s codes and shapes; nothing written', () => {
  const countSubs = async () =>
    Number((await hub.db.selectFrom('webhook_subscriptions').select(({ fn }) => fn.countAll<string>().as('n')).where('partner_id', '=', partner.x).executeTakeFirstOrThrow()).n);

  test('credentials: missing, malformed, unknown, revoked are 401 UNAUTHORIZED; X-Request-ID on every answer', async () => {
    const revoked = await createPartnerKey(hub.db, { partnerId: partner.x });
    await revokePartnerKey(hub.db, revoked.keyId);
    const cases: [string, string | undefined][] = [
      ['none', undefined],
      ['no secret', cred.x.keyId],
      ['v1 key', tenantA.key],
      ['wrong secret', `${cred.x.keyId}:nvr_sk_test_${'a'.repeat(40)}`],
      ['revoked', `${revoked.keyId}:${revoked.secret}`],
    ];
    for (const [what, key] of cases) {
      const res = await pcall('GET', '/me', key);
      expect([what, res.status, res.body.error?.code]).toEqual([what, 401, 'UNAUTHORIZED']);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    const me = await pcall('GET', '/me', xCred(), { headers: { 'x-request-id': 'broker-trace-1' } });
    expect(me.headers.get('x-request-id')).toBe('broker-trace-1');
    expect(me.body).toEqual({ partner_id: partner.x, partner_type: 'broker', scopes: ['trips:read', 'trips:lifecycle', 'billing:read', 'webhooks:manage'], rate_limit_tier: 'enterprise', credential_id: expect.any(String) });
    const noScope = await pcall('GET', '/webhooks/subscriptions', cred.xReadOnly);
    expect([noScope.status, noScope.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  test('bad queries and paths: 422 VALIDATION_ERROR with loc/msg/type, 400 INVALID_STATUS, 404 NOT_FOUND, 405', async () => {
    const tooBig = await pcall('GET', '/trips?page_size=101', xCred());
    expect(tooBig.status).toBe(422);
    expect(tooBig.body).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'Request validation failed',
      details: [{ loc: ['query', 'page_size'], msg: 'ensure this value is less than or equal to 100', type: 'value_error.number.not_le' }],
    });
    const cases: [string, (string | number)[]][] = [
      ['/trips?page=0', ['query', 'page']],
      ['/trips?page_size=0x10', ['query', 'page_size']],
      ['/trips?trip_date_from=2024-13-45', ['query', 'trip_date_from']],
      ['/trips?updated_since=yesterday', ['query', 'updated_since']],
      ['/trips?colour=red', ['query', 'colour']],
      ['/trips/abc', ['path', 'trip_id']],
      ['/trips/by-group/someday', ['path', 'group']],
      ['/webhooks/events?limit=1001', ['query', 'limit']],
      ['/webhooks/events?event_type=stop.created', ['query', 'event_type']],
      ['/webhooks/subscriptions/not-a-uuid', ['path', 'subscription_id']],
      ['/webhooks/deliveries/1.5', ['path', 'delivery_id']],
      ['/me?x=1', ['query', 'x']],
    ];
    for (const [p, loc] of cases) {
      const res = await pcall('GET', p, xCred());
      expect([p, res.status, res.body.code, res.body.details?.[0]?.loc]).toEqual([p, 422, 'VALIDATION_ERROR', loc]);
      expect(typeof res.body.details[0].msg).toBe('string');
      expect(typeof res.body.details[0].type).toBe('string');
    }
    const status = await pcall('GET', '/trips?status=assigned,lost', xCred());
    expect(status.status).toBe(400);
    expect(status.body.error).toMatchObject({ code: 'INVALID_STATUS', details: { invalid: ['lost'] } });
    const unknownPath = await pcall('GET', '/vehicles', xCred());
    expect([unknownPath.status, unknownPath.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const method = await pcall('PUT', '/trips', xCred());
    expect([method.status, method.body.error.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });

  test('bad bodies on every write: 422 naming the field, and no subscription is written', async () => {
    const before = await countSubs();
    const bodies: [unknown, (string | number)[]][] = [
      [{}, ['body', 'url']],
      [{ url: `${receiver.url}/x`, events: ['stop.created'] }, ['body', 'events', 0]],
      [{ url: `${receiver.url}/x`, provider: 'standard' }, ['body', 'provider']],
      [{ url: `${receiver.url}/x`, extra: 1 }, ['body', 'extra']],
      [{ url: `${receiver.url}/x`, name: 'a'.repeat(201) }, ['body', 'name']],
      [{ url: `${receiver.url}/x\u0000` }, ['body', 'url']],
      [{ url: `${receiver.url}/x`, name: 'bad \ud800' }, ['body', 'name']],
      [{ url: 'ftp://example.com/hook' }, ['body', 'url']],
    ];
    for (const [body, loc] of bodies) {
      const res = await pcall('POST', '/webhooks/subscriptions', xCred(), { body });
      expect([JSON.stringify(body).slice(0, 60), res.status, res.body.code, res.body.details?.[0]?.loc]).toEqual([JSON.stringify(body).slice(0, 60), 422, 'VALIDATION_ERROR', loc]);
    }
    const notJson = await hub.call('POST', `${PARTNER_BASE}/webhooks/subscriptions`, { key: xCred(), rawBody: '{"url":', headers: { 'content-type': 'application/json' } });
    expect([notJson.status, notJson.body.code]).toEqual([422, 'VALIDATION_ERROR']);
    const patch = await pcall('PATCH', `/webhooks/subscriptions/${subs.all.id}`, xCred(), { body: { is_active: 'yes' } });
    expect([patch.status, patch.body.details[0].loc]).toEqual([422, ['body', 'is_active']]);
    const retryBody = await pcall('POST', '/webhooks/deliveries/1/retry', xCred(), { body: { now: true } });
    expect([retryBody.status, retryBody.body.code]).toEqual([422, 'VALIDATION_ERROR']);
    const badKey = await pcall('POST', '/webhooks/subscriptions', xCred(), { body: { url: `${receiver.url}/x` }, headers: { 'idempotency-key': 'ü'.repeat(3) } });
    expect([badKey.status, badKey.body.details[0].loc]).toEqual([422, ['header', 'Idempotency-Key']]);
    expect(await countSubs()).toBe(before);
    expect((await pcall('GET', `/webhooks/subscriptions/${subs.all.id}`, xCred())).body.is_active).toBe(true);
  });
});

describe('rate limits by tier, shared across replicas', () => {
  test('standard: 60 a minute plus a burst to 100, headers on every answer, then 429 RATE_LIMIT_EXCEEDED', async () => {
    const k = await createPartnerKey(hub.db, { partnerId: partner.z });
    const c = `${k.keyId}:${k.secret}`;
    const second = await startApi(hub.apiContext, 0, '127.0.0.1');
    try {
      const status = await pcall('GET', '/rate-limit-status', c);
      expect(status.body).toMatchObject({ tier: 'standard', limits: { per_minute: 60, per_day: 10_000, burst: 100 }, current_usage: { minute: 1, day: 1 } });
      expect(status.headers.get('x-ratelimit-limit')).toBe('60');
      expect(status.headers.get('x-ratelimit-remaining')).toBe('59');
      for (let i = 2; i <= 100; i++) {
        // Alternate replicas: they count together.
        const res = i % 2 ? await pcall('GET', '/me', c) : await fetch(`${second.url}${PARTNER_BASE}/me`, { headers: { authorization: `Bearer ${c}` } });
        expect([i, res.status]).toEqual([i, 200]);
      }
      const refused = await pcall('GET', '/me', c);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(refused.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', details: { limit: 60, remaining: 0, reset_at: expect.any(Number), retry_after: expect.any(Number) } });
      expect(refused.body.error.message).toMatch(/^Rate limit exceeded\. Retry after \d+ seconds\.$/);
      // Public routes are not counted.
      expect((await pcall('GET', '/health', undefined)).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('public endpoints and the document', () => {
  test('/health with dependencies and latency, /time, /changelog; no key needed', async () => {
    const health = await pcall('GET', '/health', undefined);
    expect(health.body).toMatchObject({ status: 'healthy', version: '2024-01-30', dependencies: { postgres: { status: 'up' }, temporal: { status: 'up' } } });
    expect(typeof health.body.dependencies.postgres.latency_ms).toBe('number');
    const time = await pcall('GET', '/time', undefined);
    expect(Math.abs(time.body.unix - Date.now() / 1000)).toBeLessThan(5);
    const changelog = await pcall('GET', '/changelog', undefined);
    expect(changelog.body).toMatchObject({ current_version: '2024-01-30', entries: [{ version: '2024-01-30', changes: expect.any(Array), deprecations: [] }] });
  });

  test('its own OpenAPI 3.1 document, with every operation', async () => {
    const doc = await pcall('GET', '/openapi.json', undefined);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const o of PARTNER_OPERATIONS) expect([o.method, o.path, !!doc.body.paths[openApiPath(o.path)]?.[o.method]]).toEqual([o.method, o.path, true]);
    expect(JSON.stringify(doc.body.paths[`${PARTNER_BASE}/trips`].get.parameters)).toContain('trip_date_from');
  });
});
