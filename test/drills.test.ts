/**
 * Small, quick versions of the fault drills (`npm run drill` runs the full ones): a receiver that
 * is down for a while, and a worker SIGKILLed in the middle of a burst. Nothing may be lost.
 */
import { deleteSchedules } from '../worker/schedules';
import { startTestHub, type TestHub } from './support/hub';
import { createStop, eventually } from './support/fixtures';
import { Receiver } from './support/receiver';
import { spawnWorker } from './support/hub-process';

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await startTestHub({ worker: false });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await deleteSchedules(hub.temporal, hub.config.taskQueues);
  await hub.stop();
  await receiver.stop();
});

const workerEnv = () => ({
  DATABASE_URL: hub.config.databaseUrl!,
  TEMPORAL_ADDRESS: hub.config.temporal.address!,
  HUB_TASK_QUEUE: hub.config.taskQueues.lifecycle,
  HUB_WORKFLOW_BUNDLE: process.env.HUB_WORKFLOW_BUNDLE!,
  HUB_ALLOW_PRIVATE_URLS: '1',
});

/** Every stop.created event of the tenant reached the path exactly once, and was recorded once. */
async function expectAllDelivered(tenantId: string, key: string, path: string): Promise<void> {
  const events = await hub.db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).where('type', '=', 'stop.created').execute();
  const arrived = await eventually(
    async () => new Set(receiver.at(path).filter((r) => r.body).map((r) => r.headers['webhook-id'] as string)),
    (ids) => events.every((e) => ids.has(e.id)),
    60_000,
  );
  const lost = events.filter((e) => !arrived.has(e.id));
  expect(lost).toEqual([]);
  const deliveries = (await hub.call('GET', '/v1/webhooks/deliveries?page_size=100', { key })).body.items;
  expect(deliveries).toHaveLength(events.length);
  expect(new Set(deliveries.map((d: any) => d.event_id)).size).toBe(events.length);
}

test('receiver down for a while, then back: every delivery lands on the schedule', async () => {
  const worker = await spawnWorker(workerEnv());
  try {
    const t = await hub.tenant();
    let up = false;
    receiver.on('/drill-down', (_r, _n, res) => res.writeHead(up ? 200 : 503).end());
    await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}/drill-down`, events: ['stop.created'], retry_schedule: [1, 1, 2, 2, 2] } });
    for (let i = 0; i < 8; i++) await createStop(hub, t.key);
    await new Promise((r) => setTimeout(r, 2_500));
    up = true;
    await expectAllDelivered(t.tenantId, t.key, '/drill-down');
    expect(receiver.at('/drill-down').length).toBeGreaterThan(8); // the failed tries happened too
  } finally {
    await worker.kill('SIGTERM');
  }
}, 120_000);

test('worker SIGKILLed in the middle of a burst: a new worker finishes it, nothing lost', async () => {
  let worker = await spawnWorker(workerEnv());
  try {
    const t = await hub.tenant();
    await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}/drill-kill`, events: ['stop.created'], retry_schedule: [1, 2, 3] } });
    const burst = Promise.all(Array.from({ length: 12 }, () => createStop(hub, t.key)));
    await new Promise((r) => setTimeout(r, 300));
    await worker.kill('SIGKILL');
    worker = await spawnWorker(workerEnv());
    await burst;
    await expectAllDelivered(t.tenantId, t.key, '/drill-kill');
  } finally {
    await worker.kill('SIGTERM');
  }
}, 180_000);
