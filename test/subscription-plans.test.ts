/**
 * The per-process cache of who receives a tenant's events (common/subscriptions/plan-cache.ts): every
 * change reaches every API replica within a second, and on the replica that made it at once.
 */
import type { ActiveSubscription } from '../common/subscriptions/plan';
import { SubscriptionPlans } from '../common/subscriptions/plan-cache';
import { createLogger } from '../common/logger';
import { startTestHub, type TestHub } from './support/hub';
import { createStop, stopBody } from './support/fixtures';
import { type HubProcess, spawnApi } from './support/hub-process';

let hub: TestHub;
let replica: HubProcess & { url: string };

beforeAll(async () => {
  hub = await startTestHub({ worker: false });
  replica = await spawnApi({ DATABASE_URL: hub.config.databaseUrl!, TEMPORAL_ADDRESS: hub.config.temporal.address!, HUB_TASK_QUEUE: hub.config.taskQueues.lifecycle });
});
afterAll(async () => {
  await replica?.kill('SIGTERM');
  await hub.stop();
});

const subscribe = async (key: string, path: string) =>
  (await hub.call('POST', '/v1/webhooks/subscriptions', { key, body: { url: `http://127.0.0.1:9/${path}`, events: ['stop.created'] } })).body.id as string;

/** The subscriptions a stop's `stop.created` went to. */
async function receiversOf(stopId: string): Promise<string[]> {
  const rows = await hub.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select('d.subscription_id')
    .where('e.subject_id', '=', stopId)
    .execute();
  return rows.map((r) => r.subscription_id).sort();
}

const stopOn = async (url: string, key: string): Promise<string> => {
  const res = await fetch(`${url}/v1/stops`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(stopBody()) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
};

const second = () => new Promise((r) => setTimeout(r, 1_000));

test('the replica that changes a subscription plans with the change at once', async () => {
  const t = await hub.tenant();
  const a = await subscribe(t.key, 'a');
  expect(await receiversOf((await createStop(hub, t.key)).id)).toEqual([a]);
  const b = await subscribe(t.key, 'b');
  expect(await receiversOf((await createStop(hub, t.key)).id)).toEqual([a, b].sort());
  expect((await hub.call('PATCH', `/v1/webhooks/subscriptions/${a}`, { key: t.key, body: { is_active: false } })).status).toBe(200);
  expect(await receiversOf((await createStop(hub, t.key)).id)).toEqual([b]);
  expect((await hub.call('DELETE', `/v1/webhooks/subscriptions/${b}`, { key: t.key })).status).toBe(200);
  expect(await receiversOf((await createStop(hub, t.key)).id)).toEqual([]);
});

test('another API process plans with a change within a second, whoever made it', async () => {
  const t = await hub.tenant();
  const a = await subscribe(t.key, 'a');
  // The other process has the tenant's plan cached.
  expect(await receiversOf(await stopOn(replica.url, t.key))).toEqual([a]);
  expect(await receiversOf(await stopOn(replica.url, t.key))).toEqual([a]);

  const b = await subscribe(t.key, 'b');
  await second();
  expect(await receiversOf(await stopOn(replica.url, t.key))).toEqual([a, b].sort());

  // Written outside the API altogether (as hub-admin or the recorder's auto-disable do).
  await hub.db.updateTable('webhook_subscriptions').set({ is_active: false }).where('id', '=', a).execute();
  await second();
  expect(await receiversOf(await stopOn(replica.url, t.key))).toEqual([b]);

  await hub.db.updateTable('webhook_subscriptions').set({ events: ['stop.completed'] }).where('id', '=', b).execute();
  await second();
  expect(await receiversOf(await stopOn(replica.url, t.key))).toEqual([]);
});

describe('the cache itself', () => {
  const logger = createLogger('silent', 'test');
  const owner = { kind: 'tenant' as const, id: 'ten_1' };
  const subs: ActiveSubscription[] = [{ id: 'whsub_1', provider: 'standard', events: [], retry_schedule: null, tenant_id: 'ten_1', partner_id: null }];

  async function liveCache(): Promise<{ plans: SubscriptionPlans; detach: () => Promise<void> }> {
    const plans = new SubscriptionPlans();
    const detach = plans.attach(hub.config.databaseUrl!, logger);
    // Live once the LISTEN is in place.
    for (let i = 0; i < 100; i++) {
      let loads = 0;
      await plans.lookup([owner], async () => (loads++, subs));
      await plans.lookup([owner], async () => (loads++, subs));
      if (loads === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    plans.noticed('');
    return { plans, detach };
  }

  test('reads once while listening; a notice, a change under way or a lost LISTEN make it read again', async () => {
    const { plans, detach } = await liveCache();
    try {
      let loads = 0;
      const load = async () => (loads++, subs);
      const look = () => plans.lookup([owner], load);
      expect(await look()).toEqual(subs);
      expect(await look()).toEqual(subs);
      expect(loads).toBe(1);
      plans.noticed('ten_1');
      await look();
      expect(loads).toBe(2);
      plans.changing('ten_1');
      await look();
      await look();
      expect(loads).toBe(4);
      plans.noticed('ten_1');
      await look();
      await look();
      expect(loads).toBe(5);
      // A read that a notice overlapped is not kept.
      plans.noticed('ten_1');
      await plans.lookup([owner], async () => (loads++, plans.noticed('ten_1'), subs));
      await look();
      expect(loads).toBe(7);
    } finally {
      await detach();
    }
    let loads = 0;
    await plans.lookup([owner], async () => (loads++, subs));
    await plans.lookup([owner], async () => (loads++, subs));
    expect(loads).toBe(2);
  });
});
