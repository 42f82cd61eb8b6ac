/**
 * Per-tenant quotas, through the API and hub-admin: stops per day (single and bulk, a bulk over the
 * rest refused whole), imports in flight, recoveries in flight, and `GET /v1/me` showing them.
 * The worker runs without its queue work, so imported stops never start their lifecycles (their
 * imports stay in flight) and handed-over deliveries are never sent (recoveries stay running).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTenantQuotas } from '../common/quotas';
import { createStop, eventually, stopBody } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ worker: false });
  await hub.startWorker({ queue: false });
});
afterAll(async () => {
  await hub.stop();
});

const ROOT = path.resolve(__dirname, '..');
/** Runs hub-admin as an operator would, against the suite's database. */
async function hubAdmin(...args: string[]): Promise<any> {
  const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), ['cli/hub-admin.ts', ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: hub.config.databaseUrl, LOG_LEVEL: 'silent' },
  });
  return JSON.parse(stdout);
}

const stopCount = async (t: TestTenant) => Number((await hub.db.selectFrom('stops').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', t.tenantId).executeTakeFirstOrThrow()).n);
const bulk = (t: TestTenant, n: number, tag: string) =>
  hub.call('POST', '/v1/stops/bulk', { key: t.key, body: Array.from({ length: n }, (_, i) => stopBody({ external_ref: `${tag}-${i}` })) });

test('hub-admin sets, shows and clears a tenant\'s quotas; /v1/me shows the defaults until then', async () => {
  const t = await hub.tenant();
  const before = await hub.call('GET', '/v1/me', { key: t.key });
  expect(before.body.quotas).toMatchObject({
    stops_per_day: { limit: hub.config.quotaDefaults.stops_per_day, used: 0, source: 'default', resets_at: expect.stringMatching(/T00:00:00\.000Z$/) },
    imports_in_flight: { limit: hub.config.quotaDefaults.imports_in_flight, used: 0, source: 'default' },
    recoveries_in_flight: { limit: 3, used: 0, source: 'default' },
  });
  const set = await hubAdmin('tenant:quotas', '--tenant', t.tenantId, '--stops-per-day', '7', '--recoveries-in-flight', '1');
  expect(set).toEqual({
    tenant_id: t.tenantId,
    quotas: {
      stops_per_day: { limit: 7, used: 0, source: 'tenant' },
      imports_in_flight: { limit: hub.config.quotaDefaults.imports_in_flight, used: 0, source: 'default' },
      recoveries_in_flight: { limit: 1, used: 0, source: 'tenant' },
    },
  });
  expect((await hub.call('GET', '/v1/me', { key: t.key })).body.quotas.stops_per_day).toMatchObject({ limit: 7, source: 'tenant' });
  const cleared = await hubAdmin('tenant:quotas', '--tenant', t.tenantId, '--stops-per-day', 'default');
  expect(cleared.quotas.stops_per_day).toEqual({ limit: hub.config.quotaDefaults.stops_per_day, used: 0, source: 'default' });
  expect(cleared.quotas.recoveries_in_flight.limit).toBe(1);
  await expect(hubAdmin('tenant:quotas', '--tenant', t.tenantId, '--stops-per-day', '-1')).rejects.toMatchObject({ code: 2 });
  await expect(hubAdmin('tenant:quotas', '--tenant', 'ten_nobody')).rejects.toMatchObject({ code: 2 });
}, 60_000);

test('stops per day: the first stop over is refused, single or bulk; a bulk over the rest of the day is refused whole', async () => {
  const t = await hub.tenant();
  await setTenantQuotas(hub.db, t.tenantId, { stops_per_day: 3 });
  for (let i = 0; i < 3; i++) await createStop(hub, t.key);
  const over = await hub.call('POST', '/v1/stops', { key: t.key, body: stopBody() });
  expect(over.status).toBe(429);
  expect(over.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'stops_per_day', limit: 3, used: 3, requested: 1 } });
  const retryAfter = Number(over.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(86_400);
  expect((await bulk(t, 1, 'one')).status).toBe(429);
  expect(await stopCount(t)).toBe(3);

  await setTenantQuotas(hub.db, t.tenantId, { stops_per_day: 10 });
  const tooMany = await bulk(t, 8, 'eight');
  expect(tooMany.status).toBe(429);
  expect(tooMany.body.error.details).toMatchObject({ quota: 'stops_per_day', limit: 10, used: 3, requested: 8 });
  expect(await stopCount(t)).toBe(3);
  expect(await hub.db.selectFrom('imports').select('id').where('tenant_id', '=', t.tenantId).execute()).toEqual([]);
  expect((await bulk(t, 7, 'seven')).status).toBe(201);
  const me = await hub.call('GET', '/v1/me', { key: t.key });
  expect(me.body.quotas.stops_per_day).toMatchObject({ limit: 10, used: 10, source: 'tenant' });
  expect((await hub.call('POST', '/v1/stops', { key: t.key, body: stopBody() })).status).toBe(429);
  expect(await stopCount(t)).toBe(10);
}, 60_000);

test('stops per day holds under concurrency: of two imports that fit one at a time but not together, one commits', async () => {
  const t = await hub.tenant();
  await setTenantQuotas(hub.db, t.tenantId, { stops_per_day: 10 });
  const [a, b, single] = await Promise.all([bulk(t, 6, 'a'), bulk(t, 6, 'b'), hub.call('POST', '/v1/stops', { key: t.key, body: stopBody() })]);
  // 6 + 1 fits, 6 + 6 does not: whichever import commits first, the other is refused whole.
  expect([a!.status, b!.status].sort()).toEqual([201, 429]);
  expect(single!.status).toBe(201);
  expect([a, b].find((x) => x!.status === 429)!.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'stops_per_day', limit: 10, requested: 6 } });
  expect(await stopCount(t)).toBe(7);
  expect((await hub.call('GET', '/v1/me', { key: t.key })).body.quotas.stops_per_day.used).toBe(7);
}, 60_000);

test('imports in flight: until every stop of an import has started its lifecycle, the next import past the quota is refused', async () => {
  const t = await hub.tenant();
  await setTenantQuotas(hub.db, t.tenantId, { imports_in_flight: 1 });
  const first = await bulk(t, 2, 'first');
  expect(first.status).toBe(201);
  const second = await bulk(t, 2, 'second');
  expect(second.status).toBe(429);
  expect(second.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'imports_in_flight', limit: 1, used: 1 } });
  expect((await hub.call('GET', '/v1/me', { key: t.key })).body.quotas.imports_in_flight).toEqual({ limit: 1, used: 1, source: 'tenant' });
  // A single stop is no import.
  await createStop(hub, t.key);

  // The lifecycle starter (not running here) starts the first import's stops: it has landed.
  await hub.db.updateTable('stops').set({ lifecycle_started_at: new Date() }).where('import_id', '=', first.body.import_id).execute();
  expect((await hub.call('GET', `/v1/imports/${first.body.import_id}`, { key: t.key })).body.status).toBe('completed');
  expect((await hub.call('GET', '/v1/me', { key: t.key })).body.quotas.imports_in_flight.used).toBe(0);

  // Three at once for one slot: the commits take turns, so exactly one gets through.
  const racing = await Promise.all([bulk(t, 1, 'r1'), bulk(t, 1, 'r2'), bulk(t, 1, 'r3')]);
  expect(racing.map((r) => r.status).sort()).toEqual([201, 429, 429]);
  for (const r of racing.filter((x) => x.status === 429)) expect(r.body.error.details.quota).toBe('imports_in_flight');
  expect(await hub.db.selectFrom('imports').select('id').where('tenant_id', '=', t.tenantId).execute()).toHaveLength(2);
  expect(await stopCount(t)).toBe(2 + 1 + 1);
}, 60_000);

test('recoveries in flight, set per tenant: past it a replay is 429 naming the quota; cancelling frees the slot', async () => {
  const t = await hub.tenant();
  await hubAdmin('tenant:quotas', '--tenant', t.tenantId, '--recoveries-in-flight', '1');
  const subs: string[] = [];
  for (const p of ['/q-a', '/q-b']) {
    const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `http://127.0.0.1:9${p}`, events: ['stop.created'] } });
    expect(res.status).toBe(201);
    subs.push(res.body.id);
  }
  await createStop(hub, t.key);
  const since = new Date(Date.now() - 60_000).toISOString();
  // Nothing sends here, so the replayed delivery never gets its first try: the replay keeps running.
  const running = await hub.call('POST', `/v1/webhooks/subscriptions/${subs[0]}/replay`, { key: t.key, body: { since } });
  expect(running.status).toBe(202);
  expect(running.body.total).toBe(1);
  const refused = await hub.call('POST', `/v1/webhooks/subscriptions/${subs[1]}/replay`, { key: t.key, body: { since } });
  expect(refused.status).toBe(429);
  expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', details: { quota: 'recoveries_in_flight', limit: 1, used: 1, requested: 1 } });
  expect((await hub.call('GET', '/v1/me', { key: t.key })).body.quotas.recoveries_in_flight).toEqual({ limit: 1, used: 1, source: 'tenant' });

  const cancelled = await hub.call('POST', `/v1/webhooks/recoveries/${running.body.id}/cancel`, { key: t.key });
  expect(cancelled.body.status).toBe('cancelled');
  const next = await hub.call('POST', `/v1/webhooks/subscriptions/${subs[1]}/replay`, { key: t.key, body: { since } });
  expect(next.status).toBe(202);
  await eventually(() => hub.call('GET', '/v1/me', { key: t.key }), (r) => r.body.quotas.recoveries_in_flight.used === 1);
  await hub.call('POST', `/v1/webhooks/recoveries/${next.body.id}/cancel`, { key: t.key });
}, 60_000);
