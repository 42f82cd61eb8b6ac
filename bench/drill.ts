/**
 * `npm run drill`: fault drills against the embedded stack, loopback only, bounded in time.
 * Each drill sends a burst of events while something breaks, then counts by event id that every
 * event reached every matching subscription at least once and is recorded once. Lost must be 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { call, type Harness, startHarness } from './lib/harness';
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

/** Creates stops (one stop.created event each); a failed request is retried with its Idempotency-Key. */
async function burst(h: Harness, tag: string, count: number, concurrency = 10): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const key = `${tag}-${next++}`;
        for (let attempt = 0; attempt < 200; attempt++) {
          try {
            const res = await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia', external_ref: key }, { 'idempotency-key': key });
            if (res.status === 201) break;
          } catch {
            // connection refused while the API is down: try again with the same key
          }
          await sleep(250);
        }
      }
    }),
  );
}

async function count(h: Harness, receiver: CountingReceiver, tag: string, drill: string, note: string, started: number): Promise<DrillResult> {
  const { db } = h.services.database;
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

async function main(): Promise<void> {
  const h = await startHarness({ taskQueue: 'drill' });
  const receiver = await new CountingReceiver().start();
  const results: DrillResult[] = [];
  try {
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const p = `/drill-${i}`;
      const res = await call(h, 'POST', '/v1/webhooks/subscriptions', { url: `${receiver.url}${p}`, provider: 'standard', events: ['stop.created'], retry_schedule: [1, 2, 3, 5, 5, 5, 10, 10, 10] });
      receiver.setSecret(p, res.body.secret);
    }

    say('receiver down for 6 s, then back ...');
    let started = Date.now();
    receiver.down = true;
    await burst(h, 'down', 40);
    await sleep(6_000);
    receiver.down = false;
    results.push(await count(h, receiver, 'down', 'receiver down, then back', 'retries followed the schedule', started));

    say('worker SIGKILLed in the middle of a burst ...');
    started = Date.now();
    const killed = burst(h, 'wkill', 80);
    await sleep(800);
    await h.worker.stop('SIGKILL');
    await sleep(2_000);
    await h.startWorker();
    await killed;
    results.push(await count(h, receiver, 'wkill', 'worker SIGKILL mid-burst', 'worker restarted after 2 s', started));

    say('API SIGKILLed in the middle of a burst; clients retry with the same Idempotency-Key ...');
    started = Date.now();
    const apiKilled = burst(h, 'akill', 80);
    await sleep(600);
    await h.api.stop('SIGKILL');
    await sleep(1_000);
    await h.startApi();
    await apiKilled;
    results.push(await count(h, receiver, 'akill', 'API SIGKILL mid-request', 'API restarted after 1 s', started));

    say('Postgres stopped for 5 s ...');
    started = Date.now();
    await burst(h, 'pg', 20);
    await h.stopPostgres();
    const during = await fetch(`${h.apiUrl}/health`).then((r) => r.status);
    const write = await call(h, 'POST', '/v1/stops', { address: 'x y z' }).then((r) => r.status).catch(() => 0);
    await sleep(5_000);
    await h.startPostgres();
    let recoveredMs = 0;
    const back = Date.now();
    while ((await fetch(`${h.apiUrl}/health`).then((r) => r.status)) !== 200 && Date.now() - back < 30_000) await sleep(200);
    recoveredMs = Date.now() - back;
    await burst(h, 'pg', 40);
    results.push(await count(h, receiver, 'pg', 'Postgres stopped and started', `health ${during} and writes ${write} while down; healthy ${recoveredMs} ms after restart`, started));

    say('Temporal dev server stopped for 5 s and started on its database file ...');
    started = Date.now();
    receiver.down = true; // leave deliveries pending across the restart
    await burst(h, 'tmp', 30);
    await h.stopTemporal();
    await sleep(5_000);
    await h.startTemporal();
    receiver.down = false;
    results.push(await count(h, receiver, 'tmp', 'Temporal stopped and started', 'pending retries resumed from the SQLite file', started));
  } finally {
    await receiver.stop();
    await h.stop();
  }
  console.log('\ndrill                          | events | delivered | duplicates | recorded twice | lost | note');
  console.log('-------------------------------|--------|-----------|------------|----------------|------|-----');
  for (const r of results) {
    console.log(`${r.drill.padEnd(31)}| ${String(r.events).padStart(6)} | ${String(r.delivered).padStart(9)} | ${String(r.duplicates).padStart(10)} | ${String(r.recorded_twice).padStart(14)} | ${String(r.lost).padStart(4)} | ${r.note}`);
  }
  const out = path.resolve(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'drill.json'), `${JSON.stringify({ at: new Date().toISOString(), subscriptions: SUBSCRIPTIONS, results }, null, 2)}\n`);
  const lost = results.reduce((n, r) => n + r.lost, 0);
  console.log(`\n[drill] lost ${lost}; wrote bench/results/drill.json`);
  process.exit(lost === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
