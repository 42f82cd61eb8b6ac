/**
 * Issue #22, the hostile tenant scaled to fit CI: tenant A has 25 subscriptions to receivers
 * that never answer, answer slowly or fail, and imports 500 stops (12,500 deliveries, nearly all
 * failing). Tenant B meanwhile creates, assigns and cancels stops: every move answers 200 (no
 * 503), every webhook arrives, and A's outage costs at most one retry timer workflow per failing
 * subscription, whatever the number of failed tries. How fast B stays beside A is measured by
 * the bench's isolation phase, not here.
 */
import type { ServerResponse } from 'node:http';
import { createStop, createDriver, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { Receiver, type Responder } from './support/receiver';
import { stopBody } from './support/fixtures';

let hub: TestHub;
let receiver: Receiver;
let a: TestTenant;
let b: TestTenant;
let driver: any;
const held: ServerResponse[] = [];

/** Answers nothing until the test ends: the hub's own timeout ends each try. */
const blackHole: Responder = (_r, _n, res) => void held.push(res);
const slowFail: Responder = (_r, _n, res) => void setTimeout(() => res.writeHead(500).end('slow'), 2_000);
const status =
  (code: number, headers: Record<string, string> = {}): Responder =>
  (_r, _n, res) =>
    res.writeHead(code, headers).end('no');

const FAILING: [string, Responder][] = [
  ...Array.from({ length: 10 }, (_, i): [string, Responder] => [`/a-hole-${i}`, blackHole]),
  ...Array.from({ length: 6 }, (_, i): [string, Responder] => [`/a-slow-${i}`, slowFail]),
  ['/a-429', status(429, { 'retry-after': '30' })],
  ['/a-503', status(503)],
  ['/a-500-1', status(500)],
  ['/a-500-2', status(500)],
  ['/a-302', status(302, { location: 'http://127.0.0.1:1/' })],
  ['/a-410', status(410)],
  ['/a-400', status(400)],
  ['/a-404', status(404)],
  ['/a-502', status(502)],
];

beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  a = await hub.tenant();
  b = await hub.tenant();
  for (const [path, responder] of FAILING) {
    receiver.on(path, responder);
    const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: a.key, body: { url: `${receiver.url}${path}`, events: [] } });
    expect(res.status).toBe(201);
  }
  const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: b.key, body: { url: `${receiver.url}/b`, events: ['stop.cancelled'] } });
  expect(sub.status).toBe(201);
  driver = await createDriver(hub, b.key);
}, 120_000);

afterAll(async () => {
  for (const res of held) res.destroy();
  await receiver?.stop();
  await hub?.stop();
});

interface Round {
  moves: number[];
  deliveries: number[];
  statuses: number[];
}

/** B's ordinary work: create, assign, cancel; each cancel's webhook is timed to its arrival. */
async function bWorks(n: number): Promise<Round> {
  const round: Round = { moves: [], deliveries: [], statuses: [] };
  for (let i = 0; i < n; i++) {
    const stop = await createStop(hub, b.key);
    for (const [action, body] of [
      ['assign', { driver_id: driver.id }],
      ['cancel', { reason: 'customer asked' }],
    ] as const) {
      const started = Date.now();
      const res = await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: b.key, body });
      round.moves.push(Date.now() - started);
      round.statuses.push(res.status);
      if (action === 'cancel') {
        const arrived = await eventually(
          async () => receiver.at('/b').find((r) => (r.body as { data?: { id?: string } })?.data?.id === stop.id),
          (r) => r !== undefined,
          30_000,
        );
        round.deliveries.push(arrived ? arrived.at - started : Number.POSITIVE_INFINITY);
      }
    }
  }
  return round;
}

test('a tenant whose 25 receivers are down leaves another tenant whole, and its outage costs one workflow per failing subscription', async () => {
  await bWorks(3); // warm-up: first requests compile and cache

  const imported = await hub.call('POST', '/v1/stops/bulk', { key: a.key, body: Array.from({ length: 500 }, () => stopBody()) });
  expect(imported.status).toBe(201);
  // A's outage is under way: deliveries to its failing receivers are waiting on their retries.
  const waiting = () =>
    hub.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.count<string>('subscription_id').distinct().as('subs'))
      .where('tenant_id', '=', a.tenantId)
      .where('status', '=', 'retrying')
      .executeTakeFirstOrThrow();
  await eventually(waiting, (w) => Number(w.subs) >= 10, 60_000);

  const beside = await bWorks(15);

  expect(beside.statuses.filter((s) => s !== 200)).toEqual([]);
  // B lost nothing: every cancel's webhook arrived (its latency is the bench's to measure).
  expect(beside.deliveries.filter((ms) => !Number.isFinite(ms))).toEqual([]);

  // Every Temporal workflow A has besides its stops and its import: one retry timer per failing
  // subscription at most, whatever the number of failed tries.
  const failedTries = await hub.db
    .selectFrom('webhook_attempts as t')
    .innerJoin('webhook_deliveries as d', 'd.id', 't.delivery_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('d.tenant_id', '=', a.tenantId)
    .where('t.succeeded', '=', false)
    .executeTakeFirstOrThrow();
  expect(Number(failedTries.n)).toBeGreaterThan(FAILING.length * 4);
  // A timer ends when nothing of its subscription waits and a later failure starts a new run
  // under the same id, so runs are counted by workflow id: one per failing subscription at most,
  // and never more than one running per subscription.
  const others = new Map<string, { type: string; running: number }>();
  for await (const w of hub.temporal.workflow.list({
    query: `TenantId = '${a.tenantId}' AND WorkflowType != 'stopLifecycleWorkflow' AND WorkflowType != 'bulkImportWorkflow'`,
  })) {
    const seen = others.get(w.workflowId) ?? { type: w.type, running: 0 };
    if (w.status.name === 'RUNNING') seen.running += 1;
    others.set(w.workflowId, seen);
  }
  expect(others.size).toBeGreaterThan(0);
  expect(others.size).toBeLessThanOrEqual(FAILING.length);
  expect([...others].every(([id, w]) => id.startsWith('retries/whsub_') && w.type === 'subscriptionRetriesWorkflow' && w.running <= 1)).toBe(true);
}, 600_000);
