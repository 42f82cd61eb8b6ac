/** The polling fallback: every event once, in commit order, resumable from a cursor. */
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop } from './support/fixtures';

let hub: TestHub;
let t: TestTenant;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
});
afterAll(async () => hub.stop());

async function drain(key: string, after: string | null, limit: number, path = '/v1/events'): Promise<{ ids: string[]; cursor: string | null }> {
  const ids: string[] = [];
  let cursor = after;
  for (let i = 0; i < 1000; i++) {
    const res = await hub.call('GET', `${path}?limit=${limit}${cursor ? `&after=${cursor}` : ''}`, { key });
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((e: any) => e.event_id));
    cursor = res.body.next_cursor;
    if (!res.body.has_more) break;
  }
  return { ids, cursor };
}

test('lists the tenant\'s events in commit order with the contract fields', async () => {
  const stop = await createStop(hub, t.key);
  const driver = await createDriver(hub, t.key);
  await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: driver.id } });
  const res = await hub.call('GET', '/v1/events?limit=1000', { key: t.key });
  expect(res.status).toBe(200);
  const types = res.body.items.map((e: any) => e.event_type);
  expect(types).toEqual(['stop.created', 'driver.online', 'stop.assigned']);
  const first = res.body.items[0];
  expect(Object.keys(first).sort()).toEqual(['created_at', 'event_id', 'event_type', 'expires_at', 'payload']);
  expect(Date.parse(first.expires_at) - Date.parse(first.created_at)).toBe(7 * 86400_000);
  expect(first.payload).toMatchObject({ id: stop.id, status: 'pending' });
  expect(res.body.has_more).toBe(false);
  expect(res.body.next_cursor).toEqual(expect.any(String));

  const filtered = await hub.call('GET', '/v1/events?event_type=stop.assigned', { key: t.key });
  expect(filtered.body.items.map((e: any) => e.event_type)).toEqual(['stop.assigned']);
  const since = await hub.call('GET', `/v1/events?since=${encodeURIComponent(first.created_at)}`, { key: t.key });
  expect(since.body.items.map((e: any) => e.event_id)).not.toContain(first.event_id);

  const naveeraPath = await hub.call('GET', '/v1/webhooks/events?limit=1000', { key: t.key });
  expect(naveeraPath.body.items).toEqual(res.body.items);
  const other = await hub.tenant();
  expect((await hub.call('GET', '/v1/events', { key: other.key })).body.items).toEqual([]);
});

test('bad queries are 400s and scopes are enforced', async () => {
  for (const q of ['limit=0', 'limit=1001', 'after=garbage', 'since=yesterday', 'event_type=trip.created', 'page=2']) {
    expect([q, (await hub.call('GET', `/v1/events?${q}`, { key: t.key })).status]).toEqual([q, 400]);
  }
  const reader = await hub.tenant(['events:read']);
  expect((await hub.call('GET', '/v1/events', { key: reader.key })).status).toBe(200);
  expect((await hub.call('GET', '/v1/webhooks/events', { key: reader.key })).status).toBe(403);
});

test('a broker replaying from its cursor while events are being written sees each exactly once, in order', async () => {
  const tenant = await hub.tenant();
  await createStop(hub, tenant.key);
  let { ids: seen, cursor } = await drain(tenant.key, null, 3);

  let writing = true;
  const writer = (async () => {
    const driver = await createDriver(hub, tenant.key);
    const jobs = [];
    for (let i = 0; i < 20; i++) {
      jobs.push(
        createStop(hub, tenant.key).then((s) =>
          i % 2 ? hub.call('POST', `/v1/stops/${s.id}/assign`, { key: tenant.key, body: { driver_id: driver.id } }) : undefined,
        ),
      );
      if (i % 5 === 4) await Promise.all(jobs.splice(0));
    }
    await Promise.all(jobs);
    writing = false;
  })();
  // Poll (with "outages": gaps) until the writer is done, then once more.
  while (writing) {
    const page = await drain(tenant.key, cursor, 4);
    seen = seen.concat(page.ids);
    cursor = page.cursor;
    await new Promise((r) => setTimeout(r, 30));
  }
  await writer;
  const last = await drain(tenant.key, cursor, 4);
  seen = seen.concat(last.ids);

  const all = await hub.db.selectFrom('events').select(['id', 'position']).where('tenant_id', '=', tenant.tenantId).orderBy('position').execute();
  expect(seen).toEqual(all.map((e) => e.id));
  expect(new Set(seen).size).toBe(seen.length);
  expect(all.length).toBe(1 + 1 + 20 + 10);
});
