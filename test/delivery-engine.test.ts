/**
 * The delivery engine against hostile subscribers: a receiver that never answers beside healthy
 * ones (same tenant and another tenant), an answer of NUL and binary bytes, a slow sibling.
 * Nothing one subscriber does may hold up another's deliveries, retries or API calls.
 */
import type { ServerResponse } from 'node:http';
import { startTestHub, type TestHub } from './support/hub';
import { createDriver, createStop, eventually, stopBody } from './support/fixtures';
import { failTimes, Receiver } from './support/receiver';

let hub: TestHub;
let receiver: Receiver;
const PER_SUBSCRIPTION = 4;
beforeAll(async () => {
  hub = await startTestHub({ env: { HUB_SUBSCRIPTION_CONCURRENCY: String(PER_SUBSCRIPTION) } });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

async function subscribe(key: string, path: string, body: Record<string, unknown> = {}): Promise<any> {
  const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key, body: { url: `${receiver.url}${path}`, ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

test('a receiver that never answers holds only its own few slots: its siblings and other tenants go on as if it were not there', async () => {
  // Tenant A: a black hole (Naveera: 5 s timeout) and a healthy sibling; tenant B: a healthy subscriber.
  const a = await hub.tenant();
  const b = await hub.tenant();
  const hanging: ServerResponse[] = [];
  let open = 0;
  let mostOpen = 0;
  receiver.on('/black-hole', (_r, _n, res) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    res.on('close', () => open--);
    hanging.push(res); // never answered
  });
  const hole = await subscribe(a.key, '/black-hole', { provider: 'naveera', events: ['trip.created'], retry_schedule: [3600] });
  await subscribe(a.key, '/a-healthy', { events: ['stop.created'] });
  await subscribe(b.key, '/b-healthy', { events: ['stop.created', 'stop.assigned'] });
  const driver = await createDriver(hub, b.key);

  const imported = await hub.call('POST', '/v1/stops/bulk', { key: a.key, body: Array.from({ length: 50 }, () => stopBody()) });
  expect(imported.status).toBe(201);
  // Meanwhile tenant B works as usual.
  const bStops = [];
  for (let i = 0; i < 5; i++) {
    const stop = await createStop(hub, b.key);
    const assigned = await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: b.key, body: { driver_id: driver.id } });
    expect(assigned.status).toBe(200);
    bStops.push(stop);
  }
  const aHealthy = await receiver.waitFor('/a-healthy', 50, 10_000);
  const bHealthy = await receiver.waitFor('/b-healthy', 10, 10_000);
  const holeTriesEnded = await hub.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', hole.id).where('attempt_count', '>', 0).execute();
  expect(aHealthy).toHaveLength(50);
  expect(bHealthy).toHaveLength(10);
  // All of that happened while the black hole's first tries were still hanging...
  expect(hanging.length).toBeGreaterThan(0);
  expect(holeTriesEnded).toEqual([]);
  // ...and it never had more than its share of requests open.
  expect(mostOpen).toBeLessThanOrEqual(PER_SUBSCRIPTION);

  // Its deliveries wait their turn and fail on time, each on its own.
  const failedFirst = await eventually(
    async () => (await hub.call('GET', '/v1/webhooks/deliveries?status=retrying&page_size=100', { key: a.key })).body.items,
    (items: any[]) => items.length >= PER_SUBSCRIPTION,
    15_000,
  );
  expect(failedFirst.length).toBeGreaterThanOrEqual(PER_SUBSCRIPTION);
  expect(failedFirst[0].error_message).toBe('no answer within 5000 ms');
  for (const res of hanging) res.destroy();
}, 60_000);

test('an answer of NUL and binary bytes is recorded as it came, and its sibling gets the event once', async () => {
  const t = await hub.tenant();
  receiver.on('/binary', (_r, _n, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0xfe, 0xc3, 0x28, 0x00])));
  const binary = await subscribe(t.key, '/binary', { events: ['stop.created'] });
  const sibling = await subscribe(t.key, '/binary-sibling', { events: ['stop.created'] });
  await createStop(hub, t.key);
  await receiver.waitFor('/binary-sibling', 1);
  const items = await eventually(
    async () => (await hub.call('GET', '/v1/webhooks/deliveries', { key: t.key })).body.items,
    (list: any[]) => list.length === 2 && list.every((d) => d.status === 'succeeded'),
  );
  expect(items.map((d: any) => d.status)).toEqual(['succeeded', 'succeeded']);
  const got = items.find((d: any) => d.subscription_id === binary.id);
  const detail = (await hub.call('GET', `/v1/webhooks/deliveries/${got.id}`, { key: t.key })).body;
  expect(detail.attempts).toHaveLength(1);
  expect(detail.attempts[0]).toMatchObject({ status_code: 200, succeeded: true, response_body: 'ok\uFFFD\uFFFD\uFFFD\uFFFD(\uFFFD' });
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.at('/binary-sibling')).toHaveLength(1);
  expect(receiver.at('/binary')).toHaveLength(1);
  expect(items.find((d: any) => d.subscription_id === sibling.id).attempt_count).toBe(1);
});

test('each delivery waits from the end of its own try, whatever its slow sibling does; times recorded are the real ones', async () => {
  const t = await hub.tenant();
  receiver.on('/slow', (_r, _n, res) => setTimeout(() => res.writeHead(500).end(), 3_000));
  receiver.on('/fast', failTimes(1000));
  const slow = await subscribe(t.key, '/slow', { events: ['stop.created'], retry_schedule: [2, 2] });
  const fast = await subscribe(t.key, '/fast', { events: ['stop.created'], retry_schedule: [2, 2] });
  await createStop(hub, t.key);
  await receiver.waitFor('/fast', 3, 15_000);
  await receiver.waitFor('/slow', 3, 20_000);
  const arrivals = (path: string) => receiver.at(path).map((r) => r.at);
  const [f1, f2, f3] = arrivals('/fast');
  const [s1, s2, s3] = arrivals('/slow');
  // Fast: answered at once, so each try follows the last by its 2 s.
  for (const gap of [f2! - f1!, f3! - f2!]) {
    expect(gap).toBeGreaterThanOrEqual(1_900);
    expect(gap).toBeLessThan(3_000);
  }
  // Slow: each try ended 3 s after it arrived; the next comes 2 s after that.
  for (const gap of [s2! - s1!, s3! - s2!]) {
    expect(gap).toBeGreaterThanOrEqual(4_900);
    expect(gap).toBeLessThan(6_000);
  }

  const detail = async (subId: string) => {
    const list = (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${subId}`, { key: t.key })).body.items;
    return (await hub.call('GET', `/v1/webhooks/deliveries/${list[0].id}`, { key: t.key })).body;
  };
  const fastDetail = await eventually(() => detail(fast.id), (d) => d.status === 'failed');
  const slowDetail = await eventually(() => detail(slow.id), (d) => d.status === 'failed', 10_000);
  // Recorded start times are when the tries really went out.
  fastDetail.attempts.forEach((a: any, i: number) => expect(Math.abs(Date.parse(a.started_at) - arrivals('/fast')[i]!)).toBeLessThan(500));
  slowDetail.attempts.forEach((a: any) => expect(a.duration_ms).toBeGreaterThanOrEqual(2_900));
}, 60_000);

test('receivers hanging on one host never hold up another subscription to that host: no per-host pool is smaller than what may be in flight', async () => {
  // 65 × 4 in flight = 260 open requests to one host (three tenants: 25 subscriptions each at
  // most), more than the 256 connections per host the hub's HTTP client once pooled, which made
  // every other try to that host queue behind them.
  const HOLES = 65;
  const owners = await Promise.all([hub.tenant(), hub.tenant(), hub.tenant()]);
  const b = await hub.tenant();
  const held: ServerResponse[] = [];
  for (let i = 0; i < HOLES; i++) {
    receiver.on(`/shared-hole-${i}`, (_r, _n, res) => void held.push(res));
    await subscribe(owners[i % 3]!.key, `/shared-hole-${i}`, { events: ['stop.created'], retry_schedule: [3600] });
  }
  await subscribe(b.key, '/shared-healthy', { events: ['stop.created'] });
  for (const owner of owners) {
    const imported = await hub.call('POST', '/v1/stops/bulk', { key: owner.key, body: Array.from({ length: PER_SUBSCRIPTION }, () => stopBody()) });
    expect(imported.status).toBe(201);
  }
  const open = () => held.filter((res) => !res.writableEnded && !res.destroyed).length;
  const OLD_POOL = 256;
  await eventually(async () => open(), (n) => n >= OLD_POOL, 30_000);

  await createStop(hub, b.key);
  const arrived = await receiver.waitFor('/shared-healthy', 1, 10_000);
  expect(arrived).toHaveLength(1);
  // It came while the hanging tries were all still open (the standard dialect waits 15 s).
  expect(open()).toBe(HOLES * PER_SUBSCRIPTION);
  for (const res of held) res.destroy();
}, 90_000);
