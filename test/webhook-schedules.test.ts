/**
 * The long retry schedules, run in the time-skipping test server so that 29 hours of Naveera
 * timers take seconds. The real engine runs: the queue consumer sends every try to a loopback
 * receiver, the subscription's retry timer keeps time. The waits are read back from the timer
 * workflow's histories (one run per stretch of waiting): each is the schedule's delay from the
 * end of its own try (the signalling time, at most 1 s, may be taken off).
 */
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client as PgClient } from 'pg';
import { ulid } from '../common/ids';
import { loadConfig } from '../common/config';
import { connectDatabase, type DbHandle } from '../common/db/connect';
import { migrateToLatest } from '../common/db/migrate';
import { appendEvents } from '../common/events/append';
import { createLogger } from '../common/logger';
import { RETRY_LOOKAHEAD_MS, subscriptionRetriesStateQuery, subscriptionRetriesWorkflowId } from '../common/temporal/subscription-retries';
import { PROFILES, type ProviderName } from '../common/dialects/profiles';
import { SecretBox } from '../common/subscriptions/secrets';
import { ensureTools } from '../dev/tools';
import { installTemporalRuntime } from '../common/temporal/sdk-runtime';
import { createHubWorkers, type HubWorkers, type QueueWork, startQueueWork } from '../worker/worker';
import { eventually } from './support/fixtures';
import { failTimes, ok, Receiver } from './support/receiver';
import { subscriptionWatchWorkflowId } from '../common/temporal/subscription-watch';
import { subscriptionHealthWorkflow } from '../workflows/housekeeping';

let env: TestWorkflowEnvironment;
let database: DbHandle;
let receiver: Receiver;
let worker: HubWorkers;
let running: Promise<void>;
let queue: QueueWork;
let config: ReturnType<typeof loadConfig>;
/** Waiting on this client does not skip time; the test skips it where it should. */
let temporal: Client;

/** Every run a signal-with-start reached, by workflow id: a retry timer's histories are spread over runs. */
const runsOf = new Map<string, Set<string>>();

/** The Java test server has no custom search attributes: starts go without them. */
const withoutSearchAttributes: WorkflowClientInterceptor = {
  start: (input, next) => next({ ...input, options: { ...input.options, typedSearchAttributes: undefined } }),
  signalWithStart: async (input, next) => {
    const runId = await next({ ...input, options: { ...input.options, typedSearchAttributes: undefined } });
    const runs = runsOf.get(input.options.workflowId) ?? new Set<string>();
    runsOf.set(input.options.workflowId, runs.add(runId));
    return runId;
  },
};

beforeAll(async () => {
  installTemporalRuntime(createLogger('error'));
  // A database of its own: the queue consumer here must not take other test files' deliveries.
  const name = `skip_${ulid().toLowerCase()}`;
  const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  config = loadConfig({ ...process.env, DATABASE_URL: url.toString(), HUB_ALLOW_PRIVATE_URLS: '1', HUB_TASK_QUEUE: `skip-${ulid()}` });
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTools().testServer.path } },
  });
  database = connectDatabase(config.databaseUrl!);
  await migrateToLatest(database.db);
  receiver = await new Receiver().start();
  const logger = createLogger('silent');
  temporal = new Client({ connection: env.connection, interceptors: { workflow: [withoutSearchAttributes] } });
  worker = await createHubWorkers({
    connection: env.nativeConnection,
    deps: { db: database.db, temporal, config, logger },
    workflowBundlePath: process.env.HUB_WORKFLOW_BUNDLE!,
  });
  running = worker.run();
  queue = startQueueWork({ connection: env.nativeConnection, temporal, db: database.db, config, databaseUrl: config.databaseUrl!, logger });
}, 120_000);

afterAll(async () => {
  await queue?.stop();
  worker?.shutdown();
  await running;
  await receiver?.stop();
  await database?.close();
  await env?.teardown();
});

interface Delivered {
  timers: number[];
  tries: number;
  delivery: { id: string; status: string; attempt_count: number; max_attempts: number };
}

/** One tenant, one subscription per target, one stop event to all of them; waits until every delivery ended. */
async function deliverToAll(targets: { provider: ProviderName; path: string }[]): Promise<Delivered[]> {
  const { db } = database;
  const tenantId = `ten_${ulid()}`;
  await db.insertInto('tenants').values({ id: tenantId, name: 'skip' }).execute();
  for (const target of targets) {
    await db
      .insertInto('webhook_subscriptions')
      .values({ id: `whsub_${ulid()}`, tenant_id: tenantId, provider: target.provider, url: `${receiver.url}${target.path}`, events: [], secret_enc: new SecretBox(config.secretKey).seal('s3cret') })
      .execute();
  }
  const eventId = `evt_${ulid()}`;
  await db.transaction().execute((trx) =>
    appendEvents(trx, tenantId, [
      { id: eventId, type: 'stop.created', subjectType: 'stop', subjectId: 'stop_X', sequence: 1, payload: { id: 'stop_X', status: 'pending', address: 'a', external_ref: 'r', customer_name: null, driver_id: null, time_window: null, created_at: new Date().toISOString() } },
    ]),
  );
  const deliveries = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select(['d.id', 's.url', 's.id as subscription_id'])
    .where('d.event_id', '=', eventId)
    .execute();
  return Promise.all(
    targets.map(async (target) => {
      const { id, subscription_id: subscriptionId } = deliveries.find((d) => d.url.endsWith(target.path))!;
      await skipThroughWaits(id, subscriptionId);
      const timers = await timersOf(subscriptionRetriesWorkflowId(subscriptionId));
      const delivery = await db.selectFrom('webhook_deliveries').select(['id', 'status', 'attempt_count', 'max_attempts']).where('id', '=', id).executeTakeFirstOrThrow();
      const tries = (await db.selectFrom('webhook_attempts').select('attempt_number').where('delivery_id', '=', id).execute()).length;
      return { timers, tries, delivery };
    }),
  );
}

const deliverThroughSchedule = async (provider: ProviderName, path: string): Promise<Delivered> => (await deliverToAll([{ provider, path }]))[0]!;

/** The timers every run of a workflow started, in order, in seconds. */
async function timersOf(workflowId: string): Promise<number[]> {
  const timers: number[] = [];
  for (const runId of runsOf.get(workflowId) ?? []) {
    const history = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    for (const e of history.events ?? []) {
      const t = e.timerStartedEventAttributes?.startToFireTimeout;
      if (t) timers.push(Number(t.seconds) + Number(t.nanos ?? 0) / 1e9);
    }
  }
  return timers;
}

/**
 * The first try fails in the queue consumer, which wakes the subscription's retry timer. Each
 * time the timer sleeps on this delivery's next try, time is skipped past it (tries themselves
 * happen in real time, in the queue consumer, which the test server cannot see: left to skip on
 * its own, it would skip while a try is out).
 */
async function skipThroughWaits(deliveryId: string, subscriptionId: string): Promise<void> {
  const timer = temporal.workflow.getHandle(subscriptionRetriesWorkflowId(subscriptionId));
  const row = () => database.db.selectFrom('webhook_deliveries').select(['status', 'next_retry_at']).where('id', '=', deliveryId).executeTakeFirstOrThrow();
  for (;;) {
    const d = await row();
    if (d.status === 'succeeded' || d.status === 'failed') return;
    const state = d.status === 'retrying' ? await timer.query(subscriptionRetriesStateQuery).catch(() => undefined) : undefined;
    const due = d.next_retry_at?.getTime();
    if (due !== undefined && state?.next_try_at && Date.parse(state.next_try_at) === due) {
      // The timer has looked and sleeps until this try: skip past it, then let the try happen.
      await env.sleep(Math.max(0, due - Date.now()) + 1_000);
      await eventually(row, (r) => r.status !== 'retrying' || r.next_retry_at?.getTime() !== due, 10_000);
    } else await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Each wait is its delay from the end of its own try, less at most a second of signalling: the
 * timer wakes RETRY_LOOKAHEAD_MS before it, and the queue sends the try at its due time.
 */
function expectWaits(timers: number[], delays: readonly number[]): void {
  const lookahead = RETRY_LOOKAHEAD_MS / 1000;
  expect(timers).toHaveLength(delays.length);
  timers.forEach((t, i) => {
    expect([i, t + lookahead <= delays[i]!]).toEqual([i, true]);
    expect([i, t + lookahead >= delays[i]! - 1]).toEqual([i, true]);
  });
}

test('naveera: 8 tries at immediate, 5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 24 h, then failed', async () => {
  receiver.on('/naveera-down', failTimes(1000));
  const { timers, tries, delivery } = await deliverThroughSchedule('naveera', '/naveera-down');
  expectWaits(timers, [5, 30, 120, 600, 3600, 14400, 86400]);
  expectWaits(timers, PROFILES.naveera.retryDelaysSeconds);
  expect(tries).toBe(8);
  expect(receiver.at('/naveera-down')).toHaveLength(8);
  expect(delivery).toMatchObject({ status: 'failed', attempt_count: 8, max_attempts: 8 });
}, 120_000);

test('zippex: 4 tries at immediate, 1 min, 10 min, 1 h, then failed', async () => {
  receiver.on('/zippex-down', failTimes(1000, 503));
  const { timers, tries, delivery } = await deliverThroughSchedule('zippex', '/zippex-down');
  expectWaits(timers, [60, 600, 3600]);
  expect(tries).toBe(4);
  expect(receiver.at('/zippex-down')).toHaveLength(4);
  expect(delivery.status).toBe('failed');
}, 120_000);

test('a receiver that fails 3 times then succeeds gets exactly 4 tries', async () => {
  receiver.on('/flaky', failTimes(3));
  const { timers, tries, delivery } = await deliverThroughSchedule('naveera', '/flaky');
  expect(tries).toBe(4);
  expectWaits(timers, [5, 30, 120]);
  expect(receiver.at('/flaky')).toHaveLength(4);
  expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 4 });
  const attempts = await database.db.selectFrom('webhook_attempts').select(['attempt_number', 'status_code', 'succeeded']).where('delivery_id', '=', delivery.id).orderBy('attempt_number').execute();
  expect(attempts.map((a) => [a.status_code, a.succeeded])).toEqual([[500, false], [500, false], [500, false], [200, true]]);
}, 120_000);

test('a slow sibling does not move another subscription\'s waits', async () => {
  // One event to two subscriptions: one answers after 3 s, the other at once; both always fail.
  receiver.on('/slow-sibling', (_r, _n, res) => setTimeout(() => res.writeHead(500).end(), 3_000));
  receiver.on('/fast-sibling', failTimes(1000));
  const [slow, fast] = await deliverToAll([
    { provider: 'zippex', path: '/slow-sibling' },
    { provider: 'zippex', path: '/fast-sibling' },
  ]);
  expectWaits(fast!.timers, PROFILES.zippex.retryDelaysSeconds);
  expectWaits(slow!.timers, PROFILES.zippex.retryDelaysSeconds);
  expect([slow!.tries, fast!.tries]).toEqual([4, 4]);
}, 120_000);

test('zippex: over 90 % failures across 24 h switches a subscription off even with occasional successes; one that recovers stays on', async () => {
  const { db } = database;
  const tenantId = `ten_${ulid()}`;
  await db.insertInto('tenants').values({ id: tenantId, name: 'watch' }).execute();
  // Mostly down: every 25th request succeeds. Recovering: its first 10 fail, then all succeed.
  receiver.on('/zx-mostly-down', (r, nth, res) => (nth % 25 === 0 ? ok(r, nth, res) : res.writeHead(500).end('down')));
  receiver.on('/zx-recovering', failTimes(10));
  const subIds: Record<string, string> = {};
  for (const path of ['/zx-mostly-down', '/zx-recovering']) {
    subIds[path] = `whsub_${ulid()}`;
    await db
      .insertInto('webhook_subscriptions')
      .values({ id: subIds[path]!, tenant_id: tenantId, provider: 'zippex', url: `${receiver.url}${path}`, events: [], secret_enc: new SecretBox(config.secretKey).seal('whsec_x') })
      .execute();
  }
  const events = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await appendEvents(db, tenantId, [
        { id: `evt_${ulid()}`, type: 'stop.created', subjectType: 'stop', subjectId: 'stop_W', sequence: 1, payload: { id: 'stop_W', status: 'pending', address: 'a', external_ref: null, customer_name: null, driver_id: null, time_window: null, created_at: new Date().toISOString() } },
      ]);
    }
  };
  const triesOf = (subId: string) =>
    db.selectFrom('webhook_attempts as a').innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id').select(['a.succeeded']).where('d.subscription_id', '=', subId).execute();

  await events(10);
  for (const id of Object.values(subIds)) await eventually(() => triesOf(id), (t) => t.length >= 10);
  // Both are at 100 % failures: each goes on watch, and neither is switched off yet.
  expect(await temporal.workflow.execute(subscriptionHealthWorkflow, { taskQueue: config.taskQueues.background, workflowId: `health-${ulid()}` })).toEqual([]);
  const watches = Object.fromEntries(Object.entries(subIds).map(([path, id]) => [path, temporal.workflow.getHandle(subscriptionWatchWorkflowId(id))]));
  for (const w of Object.values(watches)) expect((await w.describe()).status.name).toBe('RUNNING');

  await events(30);
  for (const id of Object.values(subIds)) await eventually(() => triesOf(id), (t) => t.length >= 40);
  // A day passes (the failed deliveries' own retries fire on the way).
  await env.sleep(24 * 3600_000 + 60_000);
  const down = await watches['/zx-mostly-down']!.result();
  const recovering = await watches['/zx-recovering']!.result();

  expect(down.disabled).toBe(true);
  expect(down.tries - down.failed).toBeGreaterThan(0); // there were successes
  expect(down.failed / down.tries).toBeGreaterThan(0.9);
  expect(recovering).toMatchObject({ disabled: false, failed: 0 });
  const rows = await db.selectFrom('webhook_subscriptions').select(['id', 'is_active', 'disabled_reason']).where('tenant_id', '=', tenantId).execute();
  expect(rows.find((r) => r.id === subIds['/zx-mostly-down'])).toMatchObject({ is_active: false, disabled_reason: 'over 90 % of deliveries failed for 24 h' });
  expect(rows.find((r) => r.id === subIds['/zx-recovering'])).toMatchObject({ is_active: true, disabled_reason: null });
}, 180_000);
