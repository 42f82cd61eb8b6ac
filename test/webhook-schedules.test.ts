/**
 * The long retry schedules, run in the time-skipping test server so that 29 hours of Naveera
 * timers take seconds. The delays are read back from the workflow's own history.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import { createActivities } from '../activities';
import { loadConfig } from '../common/config';
import { connectDatabase, type DbHandle } from '../common/db/connect';
import { migrateToLatest } from '../common/db/migrate';
import { appendEvents } from '../common/events/append';
import { createLogger } from '../common/logger';
import { PROFILES, type ProviderName } from '../common/webhooks/profiles';
import { SecretBox } from '../common/webhooks/secrets';
import { ensureTools } from '../dev/tools';
import { deliverEventWorkflow } from '../workflows/deliver-event';
import { installTemporalRuntime } from '../worker/runtime';
import { failTimes, Receiver } from './support/receiver';

let env: TestWorkflowEnvironment;
let database: DbHandle;
let receiver: Receiver;
const config = loadConfig({ ...process.env, HUB_ALLOW_PRIVATE_URLS: '1', HUB_TASK_QUEUE: `skip-${ulid()}` });

beforeAll(async () => {
  installTemporalRuntime(createLogger('error'));
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTools().testServer.path } },
  });
  database = connectDatabase(config.databaseUrl!);
  await migrateToLatest(database.db);
  receiver = await new Receiver().start();
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
  await database?.close();
  await env?.teardown();
});

/** One tenant, one subscription of `provider` to `path`, one stop event; runs its delivery workflow to the end. */
async function deliverThroughSchedule(provider: ProviderName, path: string) {
  const { db } = database;
  const tenantId = `ten_${ulid()}`;
  await db.insertInto('tenants').values({ id: tenantId, name: 'skip' }).execute();
  const subId = `whsub_${ulid()}`;
  await db
    .insertInto('webhook_subscriptions')
    .values({ id: subId, tenant_id: tenantId, provider, url: `${receiver.url}${path}`, events: [], secret_enc: new SecretBox(config.secretKey).seal('s3cret') })
    .execute();
  const eventId = `evt_${ulid()}`;
  await db.transaction().execute((trx) =>
    appendEvents(trx, tenantId, [
      { id: eventId, type: 'stop.created', subjectType: 'stop', subjectId: 'stop_X', sequence: 1, payload: { id: 'stop_X', status: 'pending', address: 'a', external_ref: 'r', customer_name: null, driver_id: null, time_window: null, created_at: new Date().toISOString() } },
    ]),
  );
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: process.env.HUB_WORKFLOW_BUNDLE! },
    activities: createActivities({ db, temporal: env.client, config, logger: createLogger('silent') }),
  });
  const workflowId = `event/${eventId}`;
  const result = await worker.runUntil(
    env.client.workflow.execute(deliverEventWorkflow, { workflowId, taskQueue: config.taskQueue, args: [{ tenantId, eventId, indexed: false }] }),
  );
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const timers = (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => Number(e.timerStartedEventAttributes!.startToFireTimeout!.seconds));
  const delivery = await db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', eventId).executeTakeFirstOrThrow();
  // Tries run as local activities (markers in history); each one is recorded as an attempt row.
  const tries = (await db.selectFrom('webhook_attempts').select('attempt_number').where('delivery_id', '=', delivery.id).execute()).length;
  return { result, timers, tries, delivery };
}

test('naveera: 8 tries at immediate, 5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 24 h, then failed', async () => {
  receiver.on('/naveera-down', failTimes(1000));
  const { timers, tries, delivery } = await deliverThroughSchedule('naveera', '/naveera-down');
  expect(timers).toEqual([5, 30, 120, 600, 3600, 14400, 86400]);
  expect(timers).toEqual([...PROFILES.naveera.retryDelaysSeconds]);
  expect(tries).toBe(8);
  expect(receiver.at('/naveera-down')).toHaveLength(8);
  expect(delivery).toMatchObject({ status: 'failed', attempt_count: 8, max_attempts: 8 });
}, 120_000);

test('zippex: 4 tries at immediate, 1 min, 10 min, 1 h, then failed', async () => {
  receiver.on('/zippex-down', failTimes(1000, 503));
  const { timers, tries, delivery } = await deliverThroughSchedule('zippex', '/zippex-down');
  expect(timers).toEqual([60, 600, 3600]);
  expect(tries).toBe(4);
  expect(receiver.at('/zippex-down')).toHaveLength(4);
  expect(delivery.status).toBe('failed');
}, 120_000);

test('a receiver that fails 3 times then succeeds gets exactly 4 tries', async () => {
  receiver.on('/flaky', failTimes(3));
  const { timers, tries, delivery } = await deliverThroughSchedule('naveera', '/flaky');
  expect(tries).toBe(4);
  expect(timers).toEqual([5, 30, 120]);
  expect(receiver.at('/flaky')).toHaveLength(4);
  expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 4 });
  const attempts = await database.db.selectFrom('webhook_attempts').select(['attempt_number', 'status_code', 'succeeded']).where('delivery_id', '=', delivery.id).orderBy('attempt_number').execute();
  expect(attempts.map((a) => [a.status_code, a.succeeded])).toEqual([[500, false], [500, false], [500, false], [200, true]]);
}, 120_000);
