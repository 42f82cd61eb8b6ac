/** Atomic bulk import of up to 500 stops. */
import { deleteSchedules } from '../worker/schedules';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createStop, eventually, stopBody } from './support/fixtures';
import { spawnWorker } from './support/hub-process';

let hub: TestHub;
let t: TestTenant;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
});
afterAll(async () => hub.stop());

const batch = (n: number, tag = `${Date.now()}`) => Array.from({ length: n }, (_, i) => stopBody({ external_ref: `bulk-${tag}-${i}` }));

async function counts(tenantId: string) {
  const q = (table: 'stops' | 'events' | 'stop_history' | 'imports') =>
    hub.db.selectFrom(table).select(({ fn }) => fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow().then((r) => Number(r.n));
  return { stops: await q('stops'), events: await q('events'), history: await q('stop_history'), imports: await q('imports') };
}

const lifecycleWorkflows = async (tenantId: string) =>
  (await hub.temporal.workflow.count(`TenantId = '${tenantId}' AND WorkflowType = 'stopLifecycleWorkflow'`)).count;

test('500 valid stops: one 201 with every id, 500 rows, 500 created events, 500 lifecycle workflows', async () => {
  const tenant = await hub.tenant();
  const started = Date.now();
  const res = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: batch(500) });
  const elapsed = Date.now() - started;
  expect(res.status).toBe(201);
  expect(res.body.import_id).toMatch(/^imp_[0-9A-Z]{26}$/);
  expect(res.body.count).toBe(500);
  expect(res.body.stops).toHaveLength(500);
  expect(res.body.stops[0]).toEqual({ id: expect.stringMatching(/^stop_/), external_ref: expect.stringMatching(/-0$/), status: 'pending' });
  expect(res.body.stops[499].external_ref).toMatch(/-499$/);
  expect(elapsed).toBeGreaterThan(0); // timing is measured by the benchmark, not asserted here

  expect(await counts(tenant.tenantId)).toEqual({ stops: 500, events: 500, history: 500, imports: 1 });
  const types = await hub.db.selectFrom('events').select('type').distinct().where('tenant_id', '=', tenant.tenantId).execute();
  expect(types).toEqual([{ type: 'stop.created' }]);

  const status = await eventually(
    async () => (await hub.call('GET', `/v1/imports/${res.body.import_id}`, { key: tenant.key })).body,
    (s) => s.status === 'completed',
    60_000,
  );
  expect(status).toMatchObject({ count: 500, workflows_started: 500, events_dispatched: 500 });
  expect(await eventually(() => lifecycleWorkflows(tenant.tenantId), (n) => n === 500, 30_000)).toBe(500);

  // An imported stop moves through its lifecycle like any other.
  const stopId = res.body.stops[7].id;
  expect((await hub.call('POST', `/v1/stops/${stopId}/cancel`, { key: tenant.key })).body.status).toBe('cancelled');
  const history = (await hub.call('GET', `/v1/stops/${stopId}/history`, { key: tenant.key })).body.history;
  expect(history.map((h: any) => h.source)).toEqual(['import', 'api']);
  expect((await hub.call('GET', `/v1/imports/${res.body.import_id}`, { key: t.key })).status).toBe(404);
}, 120_000);

test('one bad item among 500: 400 naming it, and nothing is written', async () => {
  const tenant = await hub.tenant();
  const items = batch(500);
  items[137] = { ...items[137], phone: '12345' };
  const res = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: items });
  expect(res.status).toBe(400);
  expect(res.body.error.details.invalid_items).toEqual([137]);
  expect(res.body.error.details.errors).toEqual([expect.objectContaining({ index: 137, field: 'phone', value: '12345' })]);
  expect(await counts(tenant.tenantId)).toEqual({ stops: 0, events: 0, history: 0, imports: 0 });
});

test('every bad item is listed by index and field', async () => {
  const items = batch(5);
  items[0] = { ...items[0], order_amount: -1 };
  items[3] = { address: '' , unknown: true };
  const res = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: items });
  expect(res.status).toBe(400);
  expect(res.body.error.details.invalid_items).toEqual([0, 3]);
  const pairs = res.body.error.details.errors.map((e: any) => `${e.index}:${e.field}`);
  expect(pairs).toEqual(expect.arrayContaining(['0:order_amount', '3:address', '3:unknown']));
});

test('size limits: 0 is 400, 501 is 413, a non-array is 400', async () => {
  expect((await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: [] })).status).toBe(400);
  const big = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch(501) });
  expect(big.status).toBe(413);
  expect(big.body.error).toMatchObject({ code: 'payload_too_large', details: { count: 501, max: 500 } });
  for (const body of [{ stops: [] }, 'x', null]) expect((await hub.call('POST', '/v1/stops/bulk', { key: t.key, body })).status).toBe(400);
});

test('duplicate external_ref in the batch or against existing stops is a 409 naming the items', async () => {
  const tenant = await hub.tenant();
  const items = batch(4);
  items[3] = { ...items[3], external_ref: items[1]!.external_ref };
  const inBatch = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: items });
  expect(inBatch.status).toBe(409);
  expect(inBatch.body.error.details.duplicates).toEqual([{ external_ref: items[1]!.external_ref, indexes: [1, 3] }]);

  const existing = await createStop(hub, tenant.key);
  const again = batch(3);
  again[2] = { ...again[2], external_ref: existing.external_ref };
  const vsExisting = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: again });
  expect(vsExisting.status).toBe(409);
  expect(vsExisting.body.error.details.existing).toEqual([{ external_ref: existing.external_ref, index: 2, stop_id: existing.id }]);
  expect((await counts(tenant.tenantId)).stops).toBe(1);
});

test('an Idempotency-Key retry returns the same import, never a second copy', async () => {
  const tenant = await hub.tenant();
  const items = batch(20);
  const key = `import-${Date.now()}`;
  const first = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: items, headers: { 'idempotency-key': key } });
  const second = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: items, headers: { 'idempotency-key': key } });
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(second.headers.get('x-idempotency-replayed')).toBe('true');
  expect(second.body).toEqual(first.body);
  const other = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: batch(2), headers: { 'idempotency-key': key } });
  expect(other.status).toBe(409);
  expect((await counts(tenant.tenantId)).stops).toBe(20);
});

test('a worker SIGKILLed mid-import: all stops or none, each with exactly one workflow and one created event', async () => {
  const tenant = await hub.tenant();
  // This hub's in-process worker steps aside; a real worker process does the import.
  for (const w of [...(hub as any).workers]) await w.stop();
  const env = {
    DATABASE_URL: hub.config.databaseUrl!,
    TEMPORAL_ADDRESS: hub.config.temporal.address!,
    HUB_TASK_QUEUE: hub.config.taskQueues.lifecycle,
    HUB_WORKFLOW_BUNDLE: process.env.HUB_WORKFLOW_BUNDLE!,
    HUB_ALLOW_PRIVATE_URLS: '1',
    HUB_LIFECYCLE_STARTS_PER_SECOND: '200',
  };
  let worker = await spawnWorker(env);
  try {
    const res = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: batch(300) });
    expect(res.status).toBe(201);
    await worker.kill('SIGKILL');
    const midway = await counts(tenant.tenantId);
    expect(midway).toEqual({ stops: 300, events: 300, history: 300, imports: 1 });

    worker = await spawnWorker(env);
    const status = await eventually(
      async () => (await hub.call('GET', `/v1/imports/${res.body.import_id}`, { key: tenant.key })).body,
      (s) => s.status === 'completed',
      90_000,
    );
    expect(status.workflows_started).toBe(300);
    expect(await eventually(() => lifecycleWorkflows(tenant.tenantId), (n) => n >= 300, 30_000)).toBe(300);
    expect(await counts(tenant.tenantId)).toEqual({ stops: 300, events: 300, history: 300, imports: 1 });
  } finally {
    await worker.kill('SIGTERM');
    await deleteSchedules(hub.temporal, hub.config.taskQueues);
    await hub.startWorker();
  }
}, 180_000);
