/**
 * `npm run bench`: measures the hub on this machine against its own embedded stack, on loopback
 * only, bounded in time. Prints a table and writes bench/results/latest.json.
 *
 * Phases: the Temporal server's own trivial-workflow rate; paced 20 events/s of the real mix;
 * stop creations only at fan-out 1 and 10; the full lifecycle mix at fan-out 10; isolation (25
 * failing subscribers and a 500-stop import in one tenant, another tenant's moves and
 * deliveries alone and beside it); the receiver's ceiling; POST /v1/stops under autocannon; a bulk import;
 * the API alone. CPU seconds per delivery are read from /proc for every process of the stack.
 *
 * `npm run bench -- --quick` runs only the delivery phases, smaller (about a minute).
 * BENCH_CREATES (default 2000; 500 with --quick), BENCH_STOPS (default 400 → 2000 events) and BENCH_FANOUT
 * (default 10) change the load; BENCH_PHASES (e.g. `creations,mix`) runs only some phases;
 * BENCH_CPU_PROFILE=<dir> writes V8 CPU profiles of the API and the worker; BENCH_HUB_ENV
 * (NAME=value,…) passes settings to the hub's processes; BENCH_HOSTILE=<n> gives tenant A only the first
 * n of its 25 failing receivers in the isolation phase (0: the import alone), to tell causes apart.
 */
import { runMain } from '../common/entry-point';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { TEMPORAL_SERVER_VERSION } from '../dev/temporal-cluster';
import { loadConfig } from '../common/config';
import { stopWorkflowId } from '../common/temporal/stop-lifecycle';
import { temporal } from '@temporalio/proto';
import { call, type Harness, startClusterHarness, startHarness } from './lib/harness';
import { percentile } from './lib/process-stats';
import { lifecycleBacklog, PHASE_DEADLINE_MS, quiesce, sampleBacklogs, settle } from './lib/hub-state';
import { record, results, rows, say, sleep } from './lib/report';
import { recordCpu, type StackCpu, stackCpu } from './lib/stack-cpu';
import { statementProfile } from './lib/pg-statements';
import { clearSubscriptions, subscribe } from './lib/subscriptions';
import { CountingReceiver } from './lib/receiver';
import { trivialWorkflow } from './lib/trivial-workflow';
import { sustainedPhase } from './phases/sustained';
import { setWorkflowStackTraces } from '../worker/stack-traces';

/** `-- --quick`: only the delivery phases (paced, creations, the ceiling they are judged by), smaller: a change checked in about a minute. */
const QUICK = process.argv.includes('--quick');
const CREATES = Number(process.env.BENCH_CREATES ?? (QUICK ? 500 : 2000));
const STOPS = Number(process.env.BENCH_STOPS ?? 400);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 10);
const CONCURRENCY = 20;
const PHASES = process.env.BENCH_PHASES?.split(',') ?? (QUICK ? ['paced', 'creations', 'ceiling'] : undefined);
const wanted = (phase: string): boolean => !PHASES || PHASES.includes(phase);

async function waitForDeliveries(receiver: CountingReceiver, expected: number): Promise<void> {
  const started = Date.now();
  while (receiver.deliveries < expected && Date.now() - started < PHASE_DEADLINE_MS) await sleep(20);
}

function recordDeliveries(label: string, receiver: CountingReceiver, expected: number, ms: number): void {
  record(`${label}: deliveries/s`, (receiver.deliveries / ms) * 1000);
  record(`${label}: deliveries arrived`, `${receiver.deliveries}/${expected}`);
  record(`${label}: duplicates / bad signatures`, `${receiver.duplicates} / ${receiver.badSignatures}`);
  const l = receiver.latenciesMs;
  record(`${label}: commit→receiver p50 / p95 / p99 / max`, `${percentile(l, 50)} / ${percentile(l, 95)} / ${percentile(l, 99)} / ${Math.max(...l)} ms`);
}

/** The Temporal server alone: trivial workflows (one task, no activity) for 5 s, 20 at a time. */
async function temporalPhase(h: Harness): Promise<number> {
  say('Temporal server: trivial workflows for 5 s ...');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./lib/trivial-workflow'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } });
  const connection = await NativeConnection.connect({ address: h.stack.endpoints.temporalAddress });
  // Like the hub's own workers (HUB_WORKFLOW_STACK_TRACES unset): the rate compared against is the SDK's at its lightest.
  setWorkflowStackTraces(false);
  const worker = await Worker.create({ connection, taskQueue: 'bench-trivial', workflowBundle: { code } });
  const client = h.services.temporal;
  let cpu = stackCpu(h);
  let runs = 0;
  const rate = await worker.runUntil(async () => {
    let n = 0;
    const warm = Date.now() + 1_000;
    while (Date.now() < warm) await client.workflow.execute(trivialWorkflow, { taskQueue: 'bench-trivial', workflowId: `warm-${n++}` });
    n = 0;
    cpu = stackCpu(h);
    const started = Date.now();
    const end = started + 5_000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) await client.workflow.execute(trivialWorkflow, { taskQueue: 'bench-trivial', workflowId: `trivial-${n++}` });
      }),
    );
    runs = n;
    return (n / (Date.now() - started)) * 1000;
  });
  const temporalCpu = cpu().temporal;
  await connection.close();
  record('Temporal server: trivial workflows/s (20 at a time)', rate);
  record('Temporal server: CPU per trivial workflow', ((temporalCpu / Math.max(1, runs)) * 1000).toFixed(2), 'ms');
  return rate;
}

const MOVES = [['assign', true], ['pick-up', false], ['depart', false], ['complete', false]] as const;

/**
 * 20 events/s for 15 s with one subscription: the latency a hub under steady load gives. The
 * rate is open-loop (one request every 50 ms, whatever the answers take) and the mix is a
 * delivery day: each stop is created, then assigned, picked up, departed, completed.
 */
async function pacedPhase(h: Harness, receiver: CountingReceiver, driverId: string, seconds = 15): Promise<void> {
  receiver.reset();
  const subs = await subscribe(h, receiver, 1, h.key, `paced${seconds}`);
  say(`paced: 20 events/s for ${seconds} s ...`);
  const ready: { id: string; step: number }[] = [];
  const inflight: Promise<void>[] = [];
  let events = 0;
  const end = Date.now() + seconds * 1000;
  for (let tick = Date.now(); tick < end; tick += 50) {
    await sleep(Math.max(0, tick - Date.now()));
    const stop = ready.shift();
    const req = stop
      ? call(h, 'POST', `/v1/stops/${stop.id}/${MOVES[stop.step]![0]}`, MOVES[stop.step]![1] ? { driver_id: driverId } : undefined).then((res) => {
          if (res.status === 200 && stop.step + 1 < MOVES.length) ready.push({ id: stop.id, step: stop.step + 1 });
          return res.status;
        })
      : call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' }).then((res) => {
          ready.push({ id: res.body.id, step: 0 });
          return res.status;
        });
    inflight.push(req.then((status) => void (status < 300 && events++)));
  }
  await Promise.all(inflight);
  await waitForDeliveries(receiver, events);
  record('paced 20 ev/s: delivered', `${receiver.deliveries}/${events}`);
  const l = receiver.latenciesMs;
  record('paced 20 ev/s: commit→receiver p50 / p95 / p99', `${percentile(l, 50)} / ${percentile(l, 95)} / ${percentile(l, 99)} ms`);
  await clearSubscriptions(h, subs.ids);
}

/** Stop creations only (no Update anywhere): the delivery engine's own throughput. */
async function creationPhase(h: Harness, receiver: CountingReceiver, fanout: number): Promise<void> {
  await settle(h);
  receiver.reset();
  const subs = await subscribe(h, receiver, fanout, h.key, `create${fanout}`);
  say(`creations, fan-out ${fanout}: ${CREATES} stops ...`);
  const statements = await statementProfile(h);
  const cpu = stackCpu(h);
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CREATES && Date.now() - started < PHASE_DEADLINE_MS) {
        next++;
        await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' });
      }
    }),
  );
  const created = Date.now() - started;
  await waitForDeliveries(receiver, next * fanout);
  const label = `creations, fan-out ${fanout}`;
  record(`${label}: stops created/s`, (next / created) * 1000);
  recordDeliveries(label, receiver, next * fanout, Date.now() - started);
  recordCpu(label, cpu(), receiver.deliveries);
  await statements(label, receiver.deliveries);
  await clearSubscriptions(h, subs.ids);
}

/** The whole life of STOPS stops (5 events each), CONCURRENCY clients at once, fan-out FANOUT. */
async function lifecyclePhase(h: Harness, receiver: CountingReceiver, driverId: string): Promise<void> {
  await settle(h);
  receiver.reset();
  const subs = await subscribe(h, receiver, FANOUT, h.key, 'mix');
  say(`lifecycle mix, fan-out ${FANOUT}: ${STOPS} stops × 5 events ...`);
  const cpu = stackCpu(h);
  const moveMs: number[] = [];
  const started = Date.now();
  let next = 0;
  let events = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < STOPS && Date.now() - started < PHASE_DEADLINE_MS) {
        next++;
        const stop = (await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' })).body;
        events++;
        for (const [action, needsDriver] of MOVES) {
          const t0 = Date.now();
          const res = await call(h, 'POST', `/v1/stops/${stop.id}/${action}`, needsDriver ? { driver_id: driverId } : undefined);
          moveMs.push(Date.now() - t0);
          if (res.status === 200) events++;
          else refused++;
        }
      }
    }),
  );
  const driven = Date.now() - started;
  await waitForDeliveries(receiver, events * FANOUT);
  const label = `lifecycle mix, fan-out ${FANOUT}`;
  record(`${label}: moves/s`, (moveMs.length / driven) * 1000);
  record(`${label}: move latency p50 / p99`, `${percentile(moveMs, 50)} / ${percentile(moveMs, 99)} ms`);
  record(`${label}: moves refused`, refused);
  recordDeliveries(label, receiver, events * FANOUT, Date.now() - started);
  recordCpu(label, cpu(), receiver.deliveries);
  await clearSubscriptions(h, subs.ids);
}

/** Tenant B's moves (paced, 10 a second: each a create, then its assign) for `seconds`. */
async function tenantTraffic(h: Harness, key: string, driverId: string, seconds: number): Promise<{ moves: number[]; errors: number; stopIds: string[] }> {
  const moves: number[] = [];
  const stopIds: string[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const end = Date.now() + seconds * 1000;
  for (let tick = Date.now(); tick < end; tick += 100) {
    await sleep(Math.max(0, tick - Date.now()));
    inflight.push(
      (async () => {
        const created = await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' }, { authorization: `Bearer ${key}` });
        if (created.status !== 201) {
          errors++;
          return;
        }
        stopIds.push(created.body.id);
        const t0 = Date.now();
        const moved = await call(h, 'POST', `/v1/stops/${created.body.id}/assign`, { driver_id: driverId }, { authorization: `Bearer ${key}` });
        moves.push(Date.now() - t0);
        if (moved.status !== 200) errors++;
      })(),
    );
  }
  await Promise.all(inflight);
  return { moves, errors, stopIds };
}

/**
 * Where a first move's time went, from each stop workflow's own history: the first workflow
 * task's wait in the task queue (scheduled → started: backlog, or no poller free) and its run on
 * the worker (started → completed, with the move's local activity); the rest of the answer is the
 * API, the Update's round trips and the wait for the Update's outcome.
 */
async function moveBreakdown(h: Harness, stopIds: readonly string[]): Promise<string> {
  const queued: number[] = [];
  const ran: number[] = [];
  for (const id of stopIds.filter((_, i) => i % 4 === 0)) {
    const history = await h.services.temporal.workflow.getHandle(stopWorkflowId(id)).fetchHistory().catch(() => undefined);
    const at = (type: string) => {
      const e = history?.events?.find((x) => x.eventType === temporal.api.enums.v1.EventType[type as keyof typeof temporal.api.enums.v1.EventType]);
      return e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.round((e.eventTime.nanos ?? 0) / 1e6) : undefined;
    };
    const [scheduled, started, completed] = ['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED', 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED'].map(at);
    if (scheduled === undefined || started === undefined || completed === undefined) continue;
    queued.push(started - scheduled);
    ran.push(completed - started);
  }
  const show = (l: number[]) => `p50 ${percentile(l, 50)} / p99 ${percentile(l, 99)}`;
  return `queued ${show(queued)} ms; on the worker ${show(ran)} ms (${queued.length} stops)`;
}

/**
 * Where a delivery's time went, from the hub's own records: queued (the event's commit → its
 * first try's start: the claim) and the try itself (start → the receiver's answer).
 */
async function deliveryBreakdown(h: Harness, subscriptionId: string, from: Date, to: Date): Promise<string> {
  const rows = await h.services.database.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_attempts as a', (j) => j.onRef('a.delivery_id', '=', 'd.id').on('a.attempt_number', '=', 1))
    .select(['e.created_at', 'a.started_at', 'a.duration_ms'])
    .where('d.subscription_id', '=', subscriptionId)
    .where('e.created_at', '>=', from)
    .where('e.created_at', '<', to)
    .execute();
  const queued = rows.map((r) => new Date(r.started_at).getTime() - new Date(r.created_at).getTime());
  const show = (l: number[]) => `p50 ${percentile(l, 50)} / p99 ${percentile(l, 99)}`;
  return `queued ${show(queued)} ms; the try ${show(rows.map((r) => r.duration_ms))} ms (${rows.length})`;
}

/** Tenant A's 25 receivers, as issue #22 found them: 10 never answer, 6 drip, 9 fail at once. */
const HOSTILE: { path: string; failure?: { status: number; afterMs?: number; headers?: Record<string, string> } }[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ path: `/a-hole-${i}` })),
  ...Array.from({ length: 6 }, (_, i) => ({ path: `/a-drip-${i}`, failure: { status: 500, afterMs: 2_000 } })),
  ...[429, 503, 500, 500, 302, 410, 400, 404, 502].map((status, i) => ({
    path: `/a-${status}-${i}`,
    failure: { status, headers: status === 429 ? { 'retry-after': '30' } : status === 302 ? { location: 'http://127.0.0.1:1/' } : undefined },
  })),
];



/**
 * Issue #22's hostile tenant at CI scale. Tenant B's paced moves and deliveries are measured
 * alone (after everything earlier phases left is done: a clean baseline) and beside tenant A,
 * whose 25 receivers never answer, drip or fail while it imports 500 stops (12,500 deliveries,
 * nearly all failing). Also: the Temporal workflows A's outage made, and each task queue's peak
 * workflow-task backlog.
 */
async function isolationPhase(h: Harness, receiver: CountingReceiver): Promise<void> {
  say('isolation: waiting for earlier phases to finish (deliveries, lifecycle starts) ...');
  record('isolation: stops without a workflow left before B alone', await quiesce(h));
  const queues = Object.values(loadConfig({ ...process.env, ...h.env }).taskQueues);
  const a = await h.newTenant('bench-a');
  const b = await h.newTenant('bench-b');
  const bAuth = { authorization: `Bearer ${b.key}` };
  const driver = (await call(h, 'POST', '/v1/drivers', { name: 'B driver' }, bAuth)).body;
  await call(h, 'POST', `/v1/drivers/${driver.id}/online`, undefined, bAuth);
  const bSubs = await subscribe(h, receiver, 1, b.key, 'isolation-b');
  const bPath = bSubs.paths[0]!;
  const seconds = 20;

  say(`isolation: tenant B alone for ${seconds} s ...`);
  receiver.reset();
  let cpu = stackCpu(h);
  const aloneFrom = new Date();
  const alone = await tenantTraffic(h, b.key, driver.id, seconds);
  const aloneTo = new Date();
  const cpuAlone = cpu();
  await sleep(1_000);
  const aloneDelivery = receiver.latenciesOf(bPath);

  const aSubs: string[] = [];
  for (const { path: p, failure } of HOSTILE.slice(0, Number(process.env.BENCH_HOSTILE ?? HOSTILE.length))) {
    if (failure) receiver.failing.set(p, failure);
    else receiver.blackHoles.add(p);
    const res = await call(h, 'POST', '/v1/webhooks/subscriptions', { url: `${receiver.url}${p}`, provider: 'standard', events: [] }, { authorization: `Bearer ${a.key}` });
    aSubs.push(res.body.id);
  }
  say(`isolation: tenant A (25 failing receivers) imports 500 stops while B goes on for ${seconds} s ...`);
  receiver.reset();
  const sampler = sampleBacklogs(h, queues);
  cpu = stackCpu(h);
  const statements = await statementProfile(h);
  const besideFrom = new Date();
  const items = Array.from({ length: 500 }, (_, i) => ({ address: 'Pikk 19, Tallinn, Estonia', external_ref: `hostile-${i}` }));
  const [imported, beside] = await Promise.all([
    call(h, 'POST', '/v1/stops/bulk', items, { authorization: `Bearer ${a.key}` }),
    tenantTraffic(h, b.key, driver.id, seconds),
  ]);
  const cpuBeside = cpu();
  const phaseEnd = Date.now();
  await statements('isolation, beside A', beside.moves.length, 'B move');
  await sleep(1_000);
  const besideDelivery = receiver.latenciesOf(bPath);
  const failedAnswers = receiver.failedAnswers;
  const peaks = await sampler.stop();

  // What A's outage cost Temporal: every workflow of A's that is not a stop or its import.
  const made = new Map<string, number>();
  let outageEvents = 0;
  for await (const w of h.services.temporal.workflow.list({ query: `TenantId = '${a.tenantId}' AND WorkflowType != 'stopLifecycleWorkflow' AND WorkflowType != 'bulkImportWorkflow'` })) {
    made.set(w.workflowId, (made.get(w.workflowId) ?? 0) + 1);
    outageEvents += w.historyLength;
  }
  // When A's imported stops got their workflows (the lifecycle starter's pace beside B).
  const aStarts: number[] = [];
  for await (const w of h.services.temporal.workflow.list({ query: `TenantId = '${a.tenantId}' AND WorkflowType = 'stopLifecycleWorkflow'` })) aStarts.push(w.startTime.getTime());
  const perSecond = new Map<number, number>();
  for (const t of aStarts) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  const show = (l: number[]) => `p50 ${percentile(l, 50)} / p99 ${percentile(l, 99)} ms`;
  const ratio = (x: number[], y: number[], p: number) => (percentile(x, p) / Math.max(1, percentile(y, p))).toFixed(2);
  record('isolation: A import of 500 stops to 25 failing receivers', imported.status === 201 ? '201' : `${imported.status}`);
  record("isolation: A's failed tries during the phase", failedAnswers);
  record('isolation: B move latency, alone', show(alone.moves));
  record('isolation: B move latency, beside A', show(beside.moves));
  record('isolation: B delivery latency, alone', show(aloneDelivery));
  record('isolation: B delivery latency, beside A', show(besideDelivery));
  record('isolation: B beside A ÷ alone, p50 / p99 (moves; deliveries)', `${ratio(beside.moves, alone.moves, 50)} / ${ratio(beside.moves, alone.moves, 99)}; ${ratio(besideDelivery, aloneDelivery, 50)} / ${ratio(besideDelivery, aloneDelivery, 99)}`);
  record("isolation: B's deliveries, alone", await deliveryBreakdown(h, bSubs.ids[0]!, aloneFrom, aloneTo));
  record("isolation: B's deliveries, beside A", await deliveryBreakdown(h, bSubs.ids[0]!, besideFrom, new Date(phaseEnd)));
  record("isolation: B's first workflow task, alone", await moveBreakdown(h, alone.stopIds));
  record("isolation: B's first workflow task, beside A", await moveBreakdown(h, beside.stopIds));
  record('isolation: B errors (non-2xx), alone / beside A', `${alone.errors} / ${beside.errors}`);
  record("isolation: Temporal workflows A's outage made (ids / runs; A has 25 failing subscriptions)", `${made.size} / ${[...made.values()].reduce((x, y) => x + y, 0)}`);
  const cores = (used: StackCpu) => [used.api, used.worker, used.temporal, used.postgres].map((s) => (s / seconds).toFixed(2)).join(' / ');
  record("isolation: history events of A's retry timers during the phase", outageEvents);
  record("isolation: A's stops given a workflow during the phase (most in one second)", `${aStarts.filter((t) => t <= phaseEnd).length} of 500 (${Math.max(0, ...perSecond.values())})`);
  record('isolation: cores used api / worker / temporal / postgres, alone; beside A', `${cores(cpuAlone)}; ${cores(cpuBeside)}`);
  record('isolation: peak workflow-task backlog per task queue', queues.map((q) => `${q} ${peaks[q]}`).join(', '));
  await clearSubscriptions(h, aSubs, a.key);
  await clearSubscriptions(h, bSubs.ids, b.key);
  receiver.release();
  receiver.blackHoles.clear();
  receiver.failing.clear();
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
    best = Math.max(best, receiver.deliveries / 3);
  }
  await agent.close();
  record('ceiling: signed POSTs/s, best of concurrency 1, 8, 32, 64', best);
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
    await settle(h);
    record(`${label}: stops still to be started by the paced lifecycle starter`, await lifecycleBacklog(h));
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
  record('bulk 500: time to 201', Date.now() - started, 'ms');
  record('bulk 500: answer', res.status);
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  say('starting an embedded stack, the API and a worker ...');
  // `-- --cluster[=N]`: the production topology with N workers (default 1) instead of the embedded stack.
  const clusterArg = process.argv.find((a) => a.startsWith('--cluster'));
  const workers = clusterArg?.includes('=') ? Number(clusterArg.split('=')[1]) : 1;
  const h = clusterArg ? await startClusterHarness({ workers }) : await startHarness();
  results.topology = clusterArg ? `cluster: Temporal server ${TEMPORAL_SERVER_VERSION} on Postgres, 1 API, ${workers} worker(s)` : 'embedded: Temporal dev server, 1 API, 1 worker';
  const receiver = await new CountingReceiver().start();
  try {
    const driver = (await call(h, 'POST', '/v1/drivers', { name: 'Bench driver' })).body;
    await call(h, 'POST', `/v1/drivers/${driver.id}/online`);
    // Warm-up, not recorded: JIT, connection pools and caches of every process get going.
    say('warming up ...');
    await pacedPhase(h, receiver, driver.id, 5);
    rows.length = 0;
    // The sustained phase's rates are fractions of this one, so it runs for it too.
    const trivialRate = wanted('temporal') || wanted('sustained') ? await temporalPhase(h) : 0;
    if (wanted('paced')) await pacedPhase(h, receiver, driver.id, QUICK ? 5 : 15);
    if (wanted('creations')) {
      await creationPhase(h, receiver, 1);
      await creationPhase(h, receiver, FANOUT);
    }
    if (wanted('mix')) await lifecyclePhase(h, receiver, driver.id);
    if (wanted('isolation')) await isolationPhase(h, receiver);
    if (wanted('sustained')) {
      await quiesce(h);
      await sustainedPhase(h, receiver, { driverId: driver.id, queues: Object.values(loadConfig({ ...process.env, ...h.env }).taskQueues), trivialRate });
    }
    record('stops still to be started by the paced lifecycle starter', await lifecycleBacklog(h));
    if (wanted('ceiling')) await ceilingPhase(receiver);
    if (wanted('api')) await apiPhase(h);
    if (wanted('bulk')) await bulkPhase(h);
    record('peak RSS: api', h.api.peakRssMb(), 'MB');
    record('peak RSS: worker', Math.max(...h.workers().map((w) => w.peakRssMb())), 'MB');
    if (wanted('alone')) await apiAlonePhase(h);
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
  writeFileSync(path.join(out, clusterArg ? `cluster-${workers}w.json` : 'latest.json'), `${JSON.stringify({ ...results, rows }, null, 2)}\n`);
  console.log(`\n[bench] wrote bench/results/${clusterArg ? `cluster-${workers}w.json` : 'latest.json'}`);
  process.exit(0);
}

runMain(main);
