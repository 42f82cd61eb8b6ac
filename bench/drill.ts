/**
 * `npm run drill`: fault drills against the embedded stack (`-- --cluster`: against the
 * production topology of `npm run cluster`), loopback only, bounded in time.
 * Each drill sends a burst of events while something breaks, then counts by event id that every
 * event reached every matching subscription at least once and is recorded once. Lost must be 0.
 */
import { runMain } from '../common/entry-point';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createApiKey, createTenant } from '../common/auth/api-keys';
import { connectDatabase, type Db } from '../common/db/connect';
import { startCluster } from '../dev/cluster-topology';
import { freePort } from '../dev/processes';
import { call, startHarness } from './lib/harness';
import { CountingReceiver } from './lib/receiver';

const SUBSCRIPTIONS = 2;
const DRILL_DEADLINE_MS = 90_000;
const say = (s: string) => console.log(`[drill] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DrillResult {
  drill: string;
  events: number;
  delivered: number;
  duplicates: number;
  recorded_twice: number;
  lost: number;
  note: string;
}

/** What a drill talks to: one API (embedded) or several replicas (cluster), and the hub's database. */
interface DrillTarget {
  db: Db;
  tenantId: string;
  key: string;
  apiUrls: string[];
}

/**
 * Creates stops (one stop.created event each); a failed request is retried with its
 * Idempotency-Key, against the next API replica when there are several (as a load balancer would).
 */
async function burst(t: DrillTarget, tag: string, count: number, concurrency = 10): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < count) {
        const key = `${tag}-${next++}`;
        for (let attempt = 0; attempt < 200; attempt++) {
          const url = t.apiUrls[(worker + attempt) % t.apiUrls.length]!;
          try {
            const res = await fetch(`${url}/v1/stops`, {
              method: 'POST',
              headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', 'idempotency-key': key },
              body: JSON.stringify({ address: 'Pikk 19, Tallinn, Estonia', external_ref: key }),
            });
            if (res.status === 201) break;
          } catch {
            // connection refused while that API is down: try again with the same key
          }
          await sleep(250);
        }
      }
    }),
  );
}

async function count(h: DrillTarget, receiver: CountingReceiver, tag: string, drill: string, note: string, started: number): Promise<DrillResult> {
  const { db } = h;
  const events = await db.selectFrom('events').select('id').where('tenant_id', '=', h.tenantId).where(sql`payload->>'external_ref'`, 'like', `${tag}-%`).execute();
  const expected = events.length * SUBSCRIPTIONS;
  const eventIds = new Set(events.map((e) => e.id));
  // Arrivals are keyed by (receiver path, event id): each subscription's copy counts on its own.
  const tally = () => {
    let delivered = 0;
    let duplicates = 0;
    for (const [key, n] of receiver.seen) {
      if (!eventIds.has(key.split(' ')[1]!)) continue;
      delivered++;
      duplicates += n - 1;
    }
    return { delivered, duplicates };
  };
  while (Date.now() - started < DRILL_DEADLINE_MS && tally().delivered < expected) await sleep(200);
  const { delivered, duplicates } = tally();
  const { rows } = await sql<{ n: string }>`select count(*)::text n from (select event_id, subscription_id from webhook_deliveries where tenant_id = ${h.tenantId} group by 1, 2 having count(*) > 1) d`.execute(db);
  const stops = await db.selectFrom('stops').select(({ fn }) => fn.countAll<string>().as('n')).where('external_ref', 'like', `${tag}-%`).executeTakeFirstOrThrow();
  const result = {
    drill,
    events: events.length,
    delivered,
    duplicates,
    recorded_twice: Number(rows[0]!.n),
    lost: expected - delivered,
    note: `${note}; stops ${stops.n}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  };
  say(`${drill}: events ${result.events}, delivered ${result.delivered}, duplicates ${result.duplicates}, recorded twice ${result.recorded_twice}, lost ${result.lost}`);
  if (result.lost > 0) {
    // What the hub believes about what did not arrive: enough to tell a late retry from a loss.
    const open = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.event_id', 'd.status', 'd.attempt_count', 'd.next_retry_at', 'd.error_message'])
      .where('d.event_id', 'in', [...eventIds])
      .where('d.status', '!=', 'succeeded')
      .execute();
    say(`deliveries not succeeded: ${JSON.stringify(open)}`);
  }
  return result;
}

/** Two subscriptions (standard dialect) to the counting receiver, with a short retry schedule. */
async function subscribe(t: DrillTarget, receiver: CountingReceiver): Promise<void> {
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const p = `/drill-${i}`;
    const res = await fetch(`${t.apiUrls[0]}/v1/webhooks/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}${p}`, provider: 'standard', events: ['stop.created'], retry_schedule: [1, 2, 3, 5, 5, 5, 10, 10, 10] }),
    });
    receiver.setSecret(p, ((await res.json()) as { secret: string }).secret);
  }
}

/** The drills against the embedded stack: one API, one worker, the Temporal dev server. */
async function embeddedDrills(receiver: CountingReceiver, results: DrillResult[]): Promise<void> {
  const h = await startHarness({ taskQueue: 'drill' });
  const t: DrillTarget = { db: h.services.database.db, tenantId: h.tenantId, key: h.key, apiUrls: [h.apiUrl] };
  try {
    await subscribe(t, receiver);

    say('receiver down for 6 s, then back ...');
    let started = Date.now();
    receiver.down = true;
    await burst(t, 'down', 40);
    await sleep(6_000);
    receiver.down = false;
    results.push(await count(t, receiver, 'down', 'receiver down, then back', 'retries followed the schedule', started));

    say('worker SIGKILLed in the middle of a burst ...');
    started = Date.now();
    const killed = burst(t, 'wkill', 80);
    await sleep(800);
    await h.worker.stop('SIGKILL');
    await sleep(2_000);
    await h.startWorker();
    await killed;
    results.push(await count(t, receiver, 'wkill', 'worker SIGKILL mid-burst', 'worker restarted after 2 s', started));

    say('API SIGKILLed in the middle of a burst; clients retry with the same Idempotency-Key ...');
    started = Date.now();
    const apiKilled = burst(t, 'akill', 80);
    await sleep(600);
    await h.api.stop('SIGKILL');
    await sleep(1_000);
    await h.startApi();
    await apiKilled;
    results.push(await count(t, receiver, 'akill', 'API SIGKILL mid-request', 'API restarted after 1 s', started));

    say('Postgres stopped for 5 s ...');
    started = Date.now();
    await burst(t, 'pg', 20);
    await h.stopPostgres();
    const during = await fetch(`${h.apiUrl}/health`).then((r) => r.status);
    const write = await call(h, 'POST', '/v1/stops', { address: 'x y z' }).then((r) => r.status).catch(() => 0);
    await sleep(5_000);
    await h.startPostgres();
    const recoveredMs = await healthyAgain(h.apiUrl);
    await burst(t, 'pg', 40);
    results.push(await count(t, receiver, 'pg', 'Postgres stopped and started', `health ${during} and writes ${write} while down; healthy ${recoveredMs} ms after restart`, started));

    say('Temporal dev server stopped for 5 s and started on its database file ...');
    started = Date.now();
    receiver.down = true; // leave deliveries pending across the restart
    await burst(t, 'tmp', 30);
    await h.stopTemporal();
    await sleep(5_000);
    await h.startTemporal();
    receiver.down = false;
    results.push(await count(t, receiver, 'tmp', 'Temporal stopped and started', 'pending retries resumed from the SQLite file', started));
  } finally {
    await h.stop();
  }
}

async function healthyAgain(apiUrl: string): Promise<number> {
  const back = Date.now();
  while ((await fetch(`${apiUrl}/health`).then((r) => r.status).catch(() => 0)) !== 200 && Date.now() - back < 60_000) await sleep(200);
  return Date.now() - back;
}

/**
 * The drills against the production topology (`npm run cluster`): a real Temporal server on
 * Postgres, two API replicas, two workers.
 */
async function clusterDrills(receiver: CountingReceiver, results: DrillResult[]): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dispatch-hub-drill-cluster-'));
  chmodSync(dir, 0o755);
  // Temporal stores membership ports as smallint: keep them under 32768.
  const [pgPort, temporalBase, apiPort, metricsPort, uiPort] = [await freePort(), 20_000 + Math.floor(Math.random() * 10_000), await freePort(), await freePort(), await freePort()];
  const cluster = await startCluster({
    dataDir: dir, pgPort, temporalPort: temporalBase, uiPort, apiPort, metricsPort, taskQueue: 'drill-cluster',
    env: { HUB_ALLOW_PRIVATE_URLS: '1', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '20' },
    log: (l) => (l.startsWith('[postgres]') ? undefined : say(l)),
  });
  const services = connectDatabase(cluster.databaseUrl);
  const tenant = await createTenant(services.db, 'drill');
  await services.db.updateTable('tenants').set({ rate_limit_per_minute: 10_000_000 }).where('id', '=', tenant.id).execute();
  const t: DrillTarget = { db: services.db, tenantId: tenant.id, key: (await createApiKey(services.db, { tenantId: tenant.id, env: 'test' })).key, apiUrls: cluster.apiUrls };
  try {
    await subscribe(t, receiver);

    say('cluster: worker 1 SIGKILLed mid-burst, worker 2 carries on ...');
    let started = Date.now();
    const killed = burst(t, 'cwkill', 80);
    await sleep(800);
    await cluster.workers[0]!.stop('SIGKILL');
    await killed;
    results.push(await count(t, receiver, 'cwkill', 'cluster: 1 of 2 workers SIGKILLed', 'the other worker finished the burst alone', started));
    await cluster.startWorker(0);

    say('cluster: API 1 SIGKILLed mid-burst; clients retry on API 2 with the same Idempotency-Key ...');
    started = Date.now();
    const apiKilled = burst(t, 'cakill', 80);
    await sleep(600);
    await cluster.apis[0]!.stop('SIGKILL');
    await apiKilled;
    results.push(await count(t, receiver, 'cakill', 'cluster: 1 of 2 APIs SIGKILLed', 'retries went to the other replica', started));
    await cluster.startApi(0);

    say('cluster: Temporal server restarted with retries pending ...');
    started = Date.now();
    receiver.down = true;
    await burst(t, 'ctmp', 30);
    await sleep(2_000);
    await cluster.restartTemporal();
    receiver.down = false;
    results.push(await count(t, receiver, 'ctmp', 'cluster: Temporal server restarted', 'pending retries resumed from Postgres', started));

    say('cluster: Postgres stopped for 5 s and started ...');
    started = Date.now();
    await burst(t, 'cpg', 20);
    await cluster.restartPostgres(5_000);
    const recoveredMs = await healthyAgain(cluster.apiUrls[1]!);
    await burst(t, 'cpg', 40);
    results.push(await count(t, receiver, 'cpg', 'cluster: Postgres restarted', `healthy ${recoveredMs} ms after restart (Temporal's persistence too)`, started));
  } finally {
    await services.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const onCluster = process.argv.includes('--cluster');
  const receiver = await new CountingReceiver().start();
  const results: DrillResult[] = [];
  try {
    await (onCluster ? clusterDrills(receiver, results) : embeddedDrills(receiver, results));
  } finally {
    await receiver.stop();
  }
  console.log('\ndrill                                | events | delivered | duplicates | recorded twice | lost | note');
  console.log('-------------------------------------|--------|-----------|------------|----------------|------|-----');
  for (const r of results) {
    console.log(`${r.drill.padEnd(37)}| ${String(r.events).padStart(6)} | ${String(r.delivered).padStart(9)} | ${String(r.duplicates).padStart(10)} | ${String(r.recorded_twice).padStart(14)} | ${String(r.lost).padStart(4)} | ${r.note}`);
  }
  const out = path.resolve(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const file = onCluster ? 'drill-cluster.json' : 'drill.json';
  writeFileSync(path.join(out, file), `${JSON.stringify({ at: new Date().toISOString(), subscriptions: SUBSCRIPTIONS, results }, null, 2)}\n`);
  const lost = results.reduce((n, r) => n + r.lost, 0);
  console.log(`\n[drill] lost ${lost}; wrote bench/results/${file}`);
  process.exit(lost === 0 ? 0 : 1);
}

runMain(main);
