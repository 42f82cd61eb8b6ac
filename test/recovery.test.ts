/**
 * Recovery after a bad day, through the API alone: an endpoint down for a while, every failed
 * delivery re-sent once in event order after it comes back, a replay with the same message ids,
 * a recovery cancelled half-way, stats, and tenants kept apart.
 */
import { createStop, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { Receiver } from './support/receiver';

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

/** A standard subscription that gives up after two quick tries, to a path answering 503 until `up`. */
async function downEndpoint(t: TestTenant, path: string): Promise<{ id: string; up: () => void }> {
  let up = false;
  receiver.on(path, (_r, _n, res) => res.writeHead(up ? 200 : 503).end());
  const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}${path}`, events: ['stop.created'], retry_schedule: [1] } });
  expect(res.status).toBe(201);
  return { id: res.body.id, up: () => (up = true) };
}

const failedCount = async (t: TestTenant, subId: string) =>
  (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${subId}&status=failed&page_size=100`, { key: t.key })).body.total as number;

test('recover since: every delivery that ended failed is sent again once, in event order, and the recovery reports its progress', async () => {
  const t = await hub.tenant();
  const since = new Date(Date.now() - 1000).toISOString();
  const sub = await downEndpoint(t, '/rec-down');
  const stops: { id: string }[] = [];
  for (let i = 0; i < 20; i++) stops.push(await createStop(hub, t.key));
  await eventually(() => failedCount(t, sub.id), (n) => n === 20, 30_000);
  const failedTries = receiver.at('/rec-down').length;
  sub.up();

  const started = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since }, headers: { 'idempotency-key': 'recover-1' } });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ kind: 'recover', status: 'running', total: 20, subscription_id: sub.id });
  // The same key joins the same recovery.
  const again = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since }, headers: { 'idempotency-key': 'recover-1' } });
  expect(again.body.id).toBe(started.body.id);

  const done = await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${started.body.id}`, { key: t.key }), (r) => r.body.status === 'completed', 60_000);
  expect(done.body).toMatchObject({ total: 20, queued: 0, sent: 20, succeeded: 20, failed: 0 });
  const recovered = receiver.at('/rec-down').slice(failedTries);
  const ids = recovered.map((r) => r.headers['webhook-id']);
  expect(recovered.every((r) => r.body)).toBe(true);
  expect(new Set(ids).size).toBe(20); // each once
  expect(ids).toHaveLength(20);
  // In event order, a batch (the subscription's in-flight limit) at a time: every delivery of a
  // batch arrives before any of the next (within a batch, tries run side by side).
  const batch = hub.config.deliveryQueue.perSubscription;
  const eventIndex = recovered.map((r) => stops.findIndex((s) => s.id === r.body.data.id));
  expect(eventIndex.map((e) => Math.floor(e / batch))).toEqual(eventIndex.map((_, i) => Math.floor(i / batch)));
  expect(await failedCount(t, sub.id)).toBe(0);

  // Nothing failed in a later window: an empty recovery completes at once.
  const empty = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since: new Date().toISOString() } });
  expect(empty.body.total).toBe(0);
}, 120_000);

test('replay re-sends chosen events, delivered or not, with their message ids', async () => {
  const t = await hub.tenant();
  const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}/rec-replay`, events: ['stop.created'] } });
  const a = await createStop(hub, t.key);
  await createStop(hub, t.key);
  await receiver.waitFor('/rec-replay', 2);
  const events = (await hub.call('GET', '/v1/events', { key: t.key })).body.items;
  const chosen = events.find((e: any) => e.payload.id === a.id).event_id;
  const replay = await hub.call('POST', `/v1/webhooks/subscriptions/${res.body.id}/replay`, { key: t.key, body: { event_ids: [chosen] } });
  expect(replay.status).toBe(202);
  await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${replay.body.id}`, { key: t.key }), (r) => r.body.succeeded === 1, 30_000);
  const got = receiver.at('/rec-replay');
  expect(got).toHaveLength(3);
  expect(got[2]!.headers['webhook-id']).toBe(chosen);
  expect(got.filter((r) => r.headers['webhook-id'] === chosen)).toHaveLength(2);
});

test('a recovery cancelled half-way stops handing deliveries over; what it handed over still arrives', async () => {
  const t = await hub.tenant();
  const since = new Date(Date.now() - 1000).toISOString();
  const sub = await downEndpoint(t, '/rec-cancel');
  for (let i = 0; i < 60; i++) await createStop(hub, t.key);
  await eventually(() => failedCount(t, sub.id), (n) => n === 60, 60_000);
  const before = receiver.at('/rec-cancel').length;
  // Back up, but slow: each answer takes 300 ms, so batches of 16 take a while.
  receiver.on('/rec-cancel', (_r, _n, res) => setTimeout(() => res.writeHead(200).end(), 300));
  const started = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since } });
  await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${started.body.id}`, { key: t.key }), (r) => r.body.sent >= 1, 30_000);
  const cancelled = await hub.call('POST', `/v1/webhooks/recoveries/${started.body.id}/cancel`, { key: t.key });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect(cancelled.body.queued).toBeGreaterThan(0);
  const handedOver = cancelled.body.total - cancelled.body.queued;
  await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${started.body.id}`, { key: t.key }), (r) => r.body.succeeded === handedOver, 30_000);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(receiver.at('/rec-cancel').length - before).toBe(handedOver);
  expect(await failedCount(t, sub.id)).toBe(60 - handedOver);
}, 120_000);

test('stats: tries by outcome, success rate, latency percentiles and buckets for a chart', async () => {
  const t = await hub.tenant();
  const sub = await downEndpoint(t, '/rec-stats');
  await createStop(hub, t.key);
  await eventually(() => failedCount(t, sub.id), (n) => n === 1, 30_000);
  sub.up();
  await createStop(hub, t.key);
  await receiver.waitFor('/rec-stats', 3);
  const stats = await eventually(() => hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}/stats?window=1h`, { key: t.key }), (r) => r.body.tries?.total === 3);
  expect(stats.body).toMatchObject({ window: '1h', tries: { total: 3, succeeded: 1, failed: 2 }, last_error: 'HTTP 503' });
  expect(stats.body.success_rate).toBeCloseTo(1 / 3);
  expect(stats.body.latency_ms.p50).toEqual(expect.any(Number));
  expect(stats.body.buckets.length).toBeGreaterThanOrEqual(12);
  expect(stats.body.buckets.reduce((n: number, b: any) => n + b.succeeded + b.failed, 0)).toBe(3);
  expect((await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}/stats?window=2d`, { key: t.key })).status).toBe(400);
});

test('bad windows are refused naming the field and write nothing; other tenants get 404', async () => {
  const t = await hub.tenant();
  const sub = await downEndpoint(t, '/rec-bad');
  const now = Date.now();
  for (const [body, field] of [
    [{}, 'since'],
    [{ since: new Date(now - 8 * 86_400_000).toISOString() }, 'since'],
    [{ since: new Date(now - 3600_000).toISOString(), until: new Date(now - 7200_000).toISOString() }, 'until'],
    [{ since: 'yesterday' }, 'since'],
  ] as const) {
    const res = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body });
    expect([field, res.status]).toEqual([field, 400]);
    expect(JSON.stringify(res.body.error)).toContain(field);
  }
  const replay = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/replay`, { key: t.key, body: {} });
  expect(replay.status).toBe(400);
  expect(await hub.db.selectFrom('webhook_recoveries').select('id').where('tenant_id', '=', t.tenantId).execute()).toEqual([]);

  const mine = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since: new Date(now - 60_000).toISOString() } });
  const other = await hub.tenant();
  expect((await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: other.key, body: { since: new Date(now - 60_000).toISOString() } })).status).toBe(404);
  expect((await hub.call('GET', `/v1/webhooks/recoveries/${mine.body.id}`, { key: other.key })).status).toBe(404);
  expect((await hub.call('POST', `/v1/webhooks/recoveries/${mine.body.id}/cancel`, { key: other.key })).status).toBe(404);
  expect((await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}/stats`, { key: other.key })).status).toBe(404);
});

/** A subscription whose `n` deliveries have all ended failed; its endpoint then answers 200 after `slowMs`. */
async function failedThenSlow(t: TestTenant, path: string, n: number, slowMs: number): Promise<{ id: string; since: string }> {
  const since = new Date(Date.now() - 1000).toISOString();
  const sub = await downEndpoint(t, path);
  for (let i = 0; i < n; i++) await createStop(hub, t.key);
  await eventually(() => failedCount(t, sub.id), (c) => c === n, 30_000);
  receiver.on(path, (_r, _n, res) => setTimeout(() => res.writeHead(200).end(), slowMs));
  return { id: sub.id, since };
}

test('one running recovery or replay per subscription: of 8 at once one starts, 7 are 409 naming it; nothing else is written', async () => {
  const t = await hub.tenant();
  const sub = await failedThenSlow(t, '/rec-one', 2, 2_000);
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since: sub.since } })),
  );
  const started = answers.filter((a) => a.status === 202);
  expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
  const runningId = started[0]!.body.id;
  for (const refused of answers.filter((a) => a.status === 409)) {
    expect(refused.body.error).toMatchObject({ code: 'conflict', details: { reason: 'recovery_running', subscription_id: sub.id, running_recovery_id: runningId } });
    expect(refused.body.error.message).toContain(runningId);
  }
  // A replay counts too.
  const replay = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/replay`, { key: t.key, body: { since: sub.since } });
  expect(replay.status).toBe(409);
  expect(replay.body.error.details.running_recovery_id).toBe(runningId);
  expect(await hub.db.selectFrom('webhook_recoveries').select('id').where('subscription_id', '=', sub.id).execute()).toEqual([{ id: runningId }]);
  // The database holds the rule too, whatever the code before it does.
  await expect(
    hub.db.insertInto('webhook_recoveries').values({ id: 'rcv_second', tenant_id: t.tenantId, subscription_id: sub.id, kind: 'recover', since: sub.since, status: 'running', total: 0 }).execute(),
  ).rejects.toMatchObject({ code: '23505', constraint: 'webhook_recoveries_one_running_idx' });

  // Once it has ended, the next one may start.
  await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${runningId}`, { key: t.key }), (r) => r.body.status === 'completed', 30_000);
  const next = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/replay`, { key: t.key, body: { since: sub.since } });
  expect(next.status).toBe(202);
  await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${next.body.id}`, { key: t.key }), (r) => r.body.status === 'completed', 30_000);
}, 90_000);

test('a tenant runs at most 3 recoveries at once (the default quota): the 4th is 429 naming the quota, and /v1/me shows them', async () => {
  const t = await hub.tenant();
  const since = new Date(Date.now() - 1000).toISOString();
  const subs: string[] = [];
  for (let i = 0; i < 4; i++) subs.push((await downEndpoint(t, '/rec-quota')).id);
  await createStop(hub, t.key);
  for (const id of subs) await eventually(() => failedCount(t, id), (c) => c === 1, 30_000);
  // Back, but slow enough that all four would still be running.
  receiver.on('/rec-quota', (_r, _n, res) => setTimeout(() => res.writeHead(200).end(), 3_000));
  const answers = await Promise.all(subs.map((id) => hub.call('POST', `/v1/webhooks/subscriptions/${id}/recover`, { key: t.key, body: { since } })));
  expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 429]);
  const refused = answers.find((a) => a.status === 429)!;
  expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'recoveries_in_flight', limit: 3, used: 3, requested: 1 } });
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await hub.db.selectFrom('webhook_recoveries').select('id').where('tenant_id', '=', t.tenantId).execute()).toHaveLength(3);
  const me = await hub.call('GET', '/v1/me', { key: t.key });
  expect(me.body.quotas.recoveries_in_flight).toEqual({ limit: 3, used: 3, source: 'default' });

  // Cancelling one frees its slot at once.
  const first = answers.find((a) => a.status === 202)!.body.id;
  const cancelled = await hub.call('POST', `/v1/webhooks/recoveries/${first}/cancel`, { key: t.key });
  expect(cancelled.body.status).toBe('cancelled');
  const last = subs[answers.indexOf(refused)]!;
  expect((await hub.call('POST', `/v1/webhooks/subscriptions/${last}/recover`, { key: t.key, body: { since } })).status).toBe(202);
  const ids = (await hub.db.selectFrom('webhook_recoveries').select('id').where('tenant_id', '=', t.tenantId).where('status', '=', 'running').execute()).map((r) => r.id);
  for (const id of ids) await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${id}`, { key: t.key }), (r) => r.body.status === 'completed', 30_000);
}, 90_000);

test('a recovery waits on its batches without polling Temporal: its history grows with batches, not seconds; cancel is prompt', async () => {
  const t = await hub.tenant();
  const batch = hub.config.deliveryQueue.perSubscription;
  const n = batch + 4; // two batches
  const sub = await failedThenSlow(t, '/rec-history', n, 3_000);
  const began = Date.now();
  const started = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: t.key, body: { since: sub.since } });
  const done = await eventually(() => hub.call('GET', `/v1/webhooks/recoveries/${started.body.id}`, { key: t.key }), (r) => r.body.status === 'completed', 60_000);
  const seconds = (Date.now() - began) / 1000;
  expect(done.body).toMatchObject({ total: n, sent: n, succeeded: n });
  expect(seconds).toBeGreaterThan(5); // two batches of 3-second answers
  const { events } = await hub.temporal.workflow.getHandle(`recover/${started.body.id}`).fetchHistory();
  // Start, then per activity (two batches and the finish) its three events and a workflow task's
  // three, then the end: 23. Polling every second would add ~10 events a second.
  expect(events!.length).toBeLessThanOrEqual(6 * 3 + 6);
  expect(events!.filter((e) => e.timerStartedEventAttributes)).toHaveLength(0);

  // Cancelled while a step waits on its batch: the answer does not wait for the step.
  const slow = await failedThenSlow(t, '/rec-history-cancel', 3, 8_000);
  const running = await hub.call('POST', `/v1/webhooks/subscriptions/${slow.id}/recover`, { key: t.key, body: { since: slow.since } });
  await eventually(() => hub.db.selectFrom('webhook_recovery_items').select('requeued_at').where('recovery_id', '=', running.body.id).execute(), (rows) => rows.every((r) => r.requeued_at !== null));
  const asked = Date.now();
  const cancelled = await hub.call('POST', `/v1/webhooks/recoveries/${running.body.id}/cancel`, { key: t.key });
  expect(cancelled.body.status).toBe('cancelled');
  expect(Date.now() - asked).toBeLessThan(3_000);
}, 120_000);
