/**
 * `npm run bench`: measures the hub on this machine against its own embedded stack, on
 * loopback only, bounded in time. Prints a table and writes bench/results/latest.json.
 *
 * BENCH_STOPS (default 400 → 2000 events) and BENCH_FANOUT (default 10) change the load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { request, Agent } from 'undici';
import { createHmac } from 'node:crypto';
import { call, type Harness, startHarness } from './lib/harness';
import { CountingReceiver, percentile } from './lib/receiver';

const STOPS = Number(process.env.BENCH_STOPS ?? 400);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 10);
const PHASE_DEADLINE_MS = 100_000;
const rows: { metric: string; value: string }[] = [];
const results: Record<string, unknown> = { machine: { cpus: cpus().length, node: process.version }, started_at: new Date().toISOString() };
const say = (s: string) => console.log(`[bench] ${s}`);
const record = (metric: string, value: number | string, unit = '') => {
  rows.push({ metric, value: `${typeof value === 'number' ? (Number.isInteger(value) ? value : value.toFixed(1)) : value}${unit ? ` ${unit}` : ''}` });
  results[metric] = value;
};

async function subscribe(h: Harness, receiver: CountingReceiver, count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = `/sub-${count}-${i}`;
    const res = await call(h, 'POST', '/v1/webhooks/subscriptions', { url: `${receiver.url}${p}`, provider: 'standard', events: [] });
    receiver.setSecret(p, res.body.secret);
    paths.push(res.body.id);
  }
  return paths;
}

async function clearSubscriptions(h: Harness, ids: string[]): Promise<void> {
  for (const id of ids) await call(h, 'DELETE', `/v1/webhooks/subscriptions/${id}`);
}

/** Drives `stops` stops through 5 moves each (5 events per stop) with `concurrency` in flight. */
async function driveLifecycles(h: Harness, stops: number, concurrency: number, driverId: string): Promise<{ events: number; ms: number }> {
  const started = Date.now();
  let next = 0;
  let events = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < stops && Date.now() - started < PHASE_DEADLINE_MS) {
        next++;
        const stop = (await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' })).body;
        events++;
        for (const [action, body] of [['assign', { driver_id: driverId }], ['pick-up', undefined], ['depart', undefined], ['complete', undefined]] as const) {
          const res = await call(h, 'POST', `/v1/stops/${stop.id}/${action}`, body);
          if (res.status === 200) events++;
        }
      }
    }),
  );
  return { events, ms: Date.now() - started };
}

/**
 * Waits until the hub has caught up: every stop's workflow started and through its first task
 * (the stop is geocoded), every event handed to delivery, no delivery still pending. Each phase
 * then measures itself, not the one before.
 */
async function settle(h: Harness): Promise<number> {
  const started = Date.now();
  const db = h.services.database.db;
  while (Date.now() - started < PHASE_DEADLINE_MS) {
    const [stops, deliveries] = await Promise.all([
      db
        .selectFrom('stops')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where((eb) => eb.or([eb('lifecycle_started_at', 'is', null), eb('geocoded', 'is', null)]))
        .executeTakeFirstOrThrow(),
      db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow(),
    ]);
    if (Number(stops.n) + Number(deliveries.n) === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - started;
}

async function waitForDeliveries(receiver: CountingReceiver, expected: number): Promise<number> {
  const started = Date.now();
  while (receiver.deliveries < expected && Date.now() - started < PHASE_DEADLINE_MS) await new Promise((r) => setTimeout(r, 100));
  return Date.now() - started;
}

async function deliveryPhase(h: Harness, receiver: CountingReceiver, fanout: number, driverId: string): Promise<void> {
  receiver.reset();
  const subs = await subscribe(h, receiver, fanout);
  say(`fan-out ${fanout}: driving ${STOPS} stops (${STOPS * 5} events) ...`);
  const started = Date.now();
  const { events, ms } = await driveLifecycles(h, STOPS, 20, driverId);
  await waitForDeliveries(receiver, events * fanout);
  const total = Date.now() - started;
  const label = `fan-out ${fanout}`;
  record(`${label}: events committed/s`, (events / ms) * 1000);
  record(`${label}: deliveries/s`, (receiver.deliveries / total) * 1000);
  record(`${label}: deliveries arrived`, `${receiver.deliveries}/${events * fanout}`);
  record(`${label}: duplicates / bad signatures`, `${receiver.duplicates} / ${receiver.badSignatures}`);
  for (const p of [50, 95, 99]) record(`${label}: commit→receiver p${p}`, percentile(receiver.latenciesMs, p), 'ms');
  record(`${label}: commit→receiver max`, Math.max(...receiver.latenciesMs), 'ms');
  results[`${label}: deliveries per second`] = (receiver.deliveries / total) * 1000;
  await clearSubscriptions(h, subs);
}

const MOVES = [['assign', 'driver'], ['pick-up'], ['depart'], ['complete']] as const;

/**
 * 20 events/s for 15 s with one subscription: the latency a hub under steady load gives. The
 * rate is open-loop (one request every 50 ms, whatever the answers take) and the mix is what a
 * delivery day looks like: each stop is created, then assigned, picked up, departed, completed.
 */
async function pacedPhase(h: Harness, receiver: CountingReceiver, driverId: string): Promise<void> {
  receiver.reset();
  const subs = await subscribe(h, receiver, 1);
  say('paced: 20 events/s for 15 s ...');
  const ready: { id: string; step: number }[] = [];
  const inflight: Promise<void>[] = [];
  let events = 0;
  const end = Date.now() + 15_000;
  for (let tick = Date.now(); tick < end; tick += 50) {
    await new Promise((r) => setTimeout(r, Math.max(0, tick - Date.now())));
    const stop = ready.shift();
    const request = stop
      ? call(h, 'POST', `/v1/stops/${stop.id}/${MOVES[stop.step]![0]}`, MOVES[stop.step]![1] ? { driver_id: driverId } : undefined).then((res) => {
          if (res.status === 200 && stop.step + 1 < MOVES.length) ready.push({ id: stop.id, step: stop.step + 1 });
          return res.status;
        })
      : call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' }).then((res) => {
          ready.push({ id: res.body.id, step: 0 });
          return res.status;
        });
    inflight.push(request.then((status) => void (status < 300 && events++)));
  }
  await Promise.all(inflight);
  await waitForDeliveries(receiver, events);
  record('paced 20 ev/s: delivered', `${receiver.deliveries}/${events}`);
  for (const p of [50, 95, 99]) record(`paced 20 ev/s: commit→receiver p${p}`, percentile(receiver.latenciesMs, p), 'ms');
  await clearSubscriptions(h, subs);
}

/** The receiver fed by a plain loop of signed keep-alive POSTs: the ceiling on this machine. */
async function ceilingPhase(receiver: CountingReceiver): Promise<number> {
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  receiver.setSecret('/ceiling', secret);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  let best = 0;
  for (const concurrency of [1, 8, 32, 64]) {
    receiver.reset();
    const end = Date.now() + 3_000;
    let n = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const id = `msg_${concurrency}_${n++}`;
          const ts = Math.floor(Date.now() / 1000);
          const body = JSON.stringify({ type: 'stop.created', timestamp: new Date().toISOString(), data: { id } });
          const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
          const res = await request(`${receiver.url}/ceiling`, { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` } });
          await res.body.dump();
        }
      }),
    );
    const rate = receiver.deliveries / 3;
    record(`ceiling: signed POSTs/s at concurrency ${concurrency}`, rate);
    best = Math.max(best, rate);
  }
  await agent.close();
  return best;
}

/** `POST /v1/stops` for 5 s from `connections` keep-alive connections. */
function loadCreates(h: Harness, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${h.apiUrl}/v1/stops`,
    method: 'POST',
    connections,
    duration: 5,
    headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address: 'Pikk 19, Tallinn, Estonia', customer_name: 'Bench' }),
  });
}

async function apiPhase(h: Harness): Promise<void> {
  for (const connections of [1, 10, 50]) {
    await settle(h);
    say(`autocannon POST /v1/stops, ${connections} connections ...`);
    const result = await loadCreates(h, connections);
    const label = `POST /v1/stops x${connections}`;
    record(`${label}: requests/s`, result.requests.average);
    record(`${label}: p50 / p99`, `${result.latency.p50} / ${result.latency.p99} ms`);
    record(`${label}: errors (non-2xx)`, result.errors + result.non2xx);
    // The 201s come before the workflows: how long the relay needed to start them all.
    record(`${label}: every lifecycle workflow started`, `${((await settle(h)) / 1000).toFixed(1)} s after the last 201`);
  }
}

/**
 * The API's own ceiling: the worker stopped, so no workflow starts compete for the two cores.
 * (Last: the stops it creates wait for the next worker, which this run never starts.)
 */
async function apiAlonePhase(h: Harness): Promise<void> {
  await settle(h);
  await h.worker.stop();
  say('autocannon POST /v1/stops, 10 connections, worker stopped ...');
  const result = await loadCreates(h, 10);
  record('POST /v1/stops x10, worker stopped: requests/s', result.requests.average);
  record('POST /v1/stops x10, worker stopped: p50 / p99', `${result.latency.p50} / ${result.latency.p99} ms`);
  record('POST /v1/stops x10, worker stopped: errors (non-2xx)', result.errors + result.non2xx);
}

async function bulkPhase(h: Harness): Promise<void> {
  await settle(h);
  say('bulk import of 500 stops ...');
  const items = Array.from({ length: 500 }, (_, i) => ({ address: 'Pikk 19, Tallinn, Estonia', external_ref: `bench-bulk-${Date.now()}-${i}` }));
  const started = Date.now();
  const res = await call(h, 'POST', '/v1/stops/bulk', items);
  const to201 = Date.now() - started;
  let status = res.body;
  while (Date.now() - started < PHASE_DEADLINE_MS) {
    status = (await call(h, 'GET', `/v1/imports/${res.body.import_id}`)).body;
    if (status.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  record('bulk 500: time to 201', to201, 'ms');
  record('bulk 500: until all 500 lifecycle workflows started', Date.now() - started, 'ms');
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  say('starting an embedded stack, the API and a worker ...');
  const h = await startHarness();
  const receiver = await new CountingReceiver().start();
  try {
    const driver = (await call(h, 'POST', '/v1/drivers', { name: 'Bench driver' })).body;
    await call(h, 'POST', `/v1/drivers/${driver.id}/online`);
    await pacedPhase(h, receiver, driver.id);
    await settle(h);
    await deliveryPhase(h, receiver, 1, driver.id);
    await settle(h);
    await deliveryPhase(h, receiver, FANOUT, driver.id);
    const ceiling = await ceilingPhase(receiver);
    const hubRate = Number(results[`fan-out ${FANOUT}: deliveries per second`] ?? 0);
    record(`hub deliveries/s at fan-out ${FANOUT} ÷ ceiling`, `${((hubRate / ceiling) * 100).toFixed(1)} %`);
    await apiPhase(h);
    await bulkPhase(h);
    record('peak RSS: api', h.api.peakRssMb(), 'MB');
    record('peak RSS: worker', h.worker.peakRssMb(), 'MB');
    await apiAlonePhase(h);
    record('bench wall time', (Date.now() - benchStarted) / 1000, 's');
  } finally {
    await receiver.stop();
    await h.stop();
  }
  const width = Math.max(...rows.map((r) => r.metric.length));
  console.log(`\n${'metric'.padEnd(width)} | value\n${'-'.repeat(width)}-|-------------`);
  for (const r of rows) console.log(`${r.metric.padEnd(width)} | ${r.value}`);
  const out = path.resolve(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify({ ...results, rows }, null, 2)}\n`);
  console.log(`\n[bench] wrote bench/results/latest.json`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
