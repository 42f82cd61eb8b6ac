/**
 * Determinism check: every workflow history a realistic run produces (stops through their whole
 * lifecycle, deliveries with failed tries and retries, a manual retry, a bulk import, a worker
 * restarted in the middle) replays against the workflow code without a single nondeterminism
 * error. It catches code whose decisions depend on anything but its history (state shared
 * between workflows, unordered iteration, time read outside the SDK). It cannot catch a change
 * that breaks histories written by an older version: that needs histories kept from it.
 */
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker/worker';
import { startTestHub, type TestHub } from './support/hub';
import { createDriver, createStop, eventually, stopBody } from './support/fixtures';
import { failTimes, Receiver } from './support/receiver';

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

test('every history of a mixed run replays against the current workflow code', async () => {
  const t = await hub.tenant();
  const subscribe = (path: string, events: string[]) =>
    hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}${path}`, provider: 'standard', events, retry_schedule: [1] } });
  const sub = await subscribe('/replay', []);
  expect(sub.status).toBe(201);
  receiver.on('/replay', failTimes(6));
  // The one cancel event fails both its tries here, then is retried by hand.
  const cancels = await subscribe('/replay-cancelled', ['stop.cancelled']);
  expect(cancels.status).toBe(201);
  receiver.on('/replay-cancelled', failTimes(2));
  const driver = await createDriver(hub, t.key);

  const move = async (stopId: string, action: string, body?: unknown) => {
    const res = await hub.call('POST', `/v1/stops/${stopId}/${action}`, { key: t.key, body });
    expect(res.status).toBe(200);
  };
  const stops = await Promise.all(Array.from({ length: 4 }, () => createStop(hub, t.key)));
  for (const stop of stops.slice(0, 2)) await move(stop.id, 'assign', { driver_id: driver.id });
  // The worker goes away with workflows cached and tries under way; a new one takes over.
  await hub.stopWorkers();
  await hub.startWorker();
  for (const stop of stops.slice(0, 2)) {
    await move(stop.id, 'pick-up');
    await move(stop.id, 'depart');
    await move(stop.id, 'complete', { notes: 'left at the door' });
  }
  await move(stops[2]!.id, 'cancel', { reason: 'customer_request' });
  expect((await hub.call('PATCH', `/v1/stops/${stops[3]!.id}`, { key: t.key, body: { notes: 'ring twice' } })).status).toBe(200);
  const imported = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: Array.from({ length: 10 }, () => stopBody()) });
  expect(imported.status).toBe(201);

  const failed = await eventually(
    async () => (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${cancels.body.id}&status=failed`, { key: t.key })).body.items,
    (items: any[]) => items.length > 0,
  );
  expect(failed.length).toBeGreaterThan(0);
  expect((await hub.call('POST', `/v1/webhooks/deliveries/${failed[0].id}/retry`, { key: t.key })).status).toBe(202);
  await eventually(
    async () => (await hub.call('GET', `/v1/webhooks/deliveries/${failed[0].id}`, { key: t.key })).body.status,
    (status) => status === 'succeeded',
  );

  const histories = [];
  const queues = Object.values(hub.config.taskQueues).map((q) => `TaskQueue = "${q}"`).join(' OR ');
  for await (const wf of hub.temporal.workflow.list({ query: queues })) {
    histories.push({ workflowId: wf.workflowId, history: await hub.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
  }
  const kinds = new Set(histories.map((h) => h.workflowId.split('/')[0]));
  expect([...kinds].sort()).toEqual(expect.arrayContaining(['retries', 'import', 'stop']));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error).slice(0, 300)}`);
  }
  expect(failures).toEqual([]);
}, 120_000);
