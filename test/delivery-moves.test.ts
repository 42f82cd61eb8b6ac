/**
 * A delivery's statuses and moves (common/deliveries/moves.ts): the table on its own, and each
 * move against real rows, moving only deliveries in a status it starts from.
 */
import { sql } from 'kysely';
import type { DeliveryStatus } from '../common/db/schema';
import { DELIVERY_STATUSES } from '../common/schemas/webhooks';
import { cancelSubscriptionDeliveries, canMove, claimDue, DELIVERY_MOVES, PROBE_AFTER_FAILURES, recordTries, requeueDeliveries } from '../common/deliveries/moves';
import { createStop } from './support/fixtures';
import { startTestHub, type TestHub } from './support/hub';

const ALL: DeliveryStatus[] = [...DELIVERY_STATUSES];

test('the table: every status is reached, only a try ends one, and only the retry timer moves a waiting one back', () => {
  const reached = new Set(Object.values(DELIVERY_MOVES).flatMap((m) => [...m.to]));
  expect([...reached].sort()).toEqual([...ALL].sort());
  for (const end of ['succeeded', 'retrying', 'failed'] as const) {
    expect(Object.entries(DELIVERY_MOVES).filter(([, m]) => (m.to as readonly DeliveryStatus[]).includes(end)).map(([name]) => name)).toEqual(['record']);
  }
  expect(canMove('retrying', 'pending')).toBe(true);
  expect(canMove('succeeded', 'retrying')).toBe(false);
  expect(canMove('cancelled', 'succeeded')).toBe(false);
  expect(canMove('failed', 'cancelled')).toBe(false); // nothing is left to stop
  // A delivery on its way (pending) is never sent again over itself.
  expect(DELIVERY_MOVES.resend.from).not.toContain('pending');
});

describe('against Postgres', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await hub.stopWorkers(); // nothing sends: this test makes every move itself
  });
  afterAll(async () => hub.stop());

  test('each move takes only deliveries in a status it starts from', async () => {
    const t = await hub.tenant();
    const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: 'https://receiver.example.com/hook', provider: 'standard', events: ['stop.created'] } });
    expect(sub.status).toBe(201);
    await createStop(hub, t.key);
    const row = () => hub.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', sub.body.id).executeTakeFirstOrThrow();
    const queued = await row();
    expect(queued).toMatchObject({ status: 'pending', attempt_count: 0 });

    // On its way: neither a manual retry nor a resend touches it.
    expect(await requeueDeliveries(hub.db, 'manualRetry', [queued.id], 3)).toEqual([]);
    expect(await requeueDeliveries(hub.db, 'resend', [queued.id], 3)).toEqual([]);

    const [claimed] = (await claimDue(hub.db, 100, 16)).filter((c) => c.id === queued.id);
    expect(claimed).toBeDefined();
    const now = new Date();
    const attempt = {
      deliveryId: queued.id, subscriptionId: sub.body.id, attempt: 1, startedAt: now, endedAt: now, durationMs: 3, statusCode: 200,
      error: null, responseBody: 'ok', responseTruncated: false, requestHeaders: null, requestBody: null, status: 'succeeded' as const, waitMs: 0, ok: true, gone: false,
    };
    expect([...(await recordTries(hub.db, [attempt])).moved]).toEqual([queued.id]);
    // The same try recorded again (a lease that ran out, another worker) moves nothing.
    expect((await recordTries(hub.db, [attempt])).moved.size).toBe(0);
    expect(await row()).toMatchObject({ status: 'succeeded', attempt_count: 1, lease_until: null });

    // Finished: nothing left to cancel; a resend starts a new series of three tries.
    expect(await cancelSubscriptionDeliveries(hub.db, sub.body.id)).toBe(0);
    expect(await requeueDeliveries(hub.db, 'manualRetry', [queued.id], 3)).toEqual([]); // succeeded is not failed
    expect(await requeueDeliveries(hub.db, 'resend', [queued.id], 3)).toEqual([queued.id]);
    expect(await row()).toMatchObject({ status: 'pending', retry_base: 1, max_attempts: 4 });
    expect(await cancelSubscriptionDeliveries(hub.db, sub.body.id)).toBe(1);
    expect(await row()).toMatchObject({ status: 'cancelled', next_retry_at: null });
  });

  test('a subscription whose last tries all failed is probed: one first try at a time, a second after its last failure; retries keep their schedule', async () => {
    const t = await hub.tenant();
    const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: 'https://receiver.example.com/down', provider: 'standard', events: ['stop.created'] } });
    expect(sub.status).toBe(201);
    for (let i = 0; i < 6; i++) await createStop(hub, t.key);
    const rows = await hub.db.selectFrom('webhook_deliveries').select(['id']).where('subscription_id', '=', sub.body.id).orderBy('next_retry_at').orderBy('id').execute();
    expect(rows).toHaveLength(6);
    const ids = rows.map((r) => r.id);
    // Two of them are retries now due; four still wait for their first try.
    await hub.db.updateTable('webhook_deliveries').set({ attempt_count: 1 }).where('id', 'in', ids.slice(4)).execute();
    const streak = (at: string) =>
      hub.db.updateTable('webhook_subscriptions').set({ consecutive_failures: PROBE_AFTER_FAILURES, last_failure_at: sql`${at}::timestamptz` }).where('id', '=', sub.body.id).execute();
    const claim = async () => (await claimDue(hub.db, 100, 16)).filter((c) => c.subscription_id === sub.body.id).map((c) => c.id).sort();

    await streak(new Date().toISOString());
    // Its last failure was just now: the due retries go, no first try does.
    expect(await claim()).toEqual(ids.slice(4).sort());
    await streak(new Date(Date.now() - 2_000).toISOString());
    // A second later: one first try, the oldest, and no other while it is in flight.
    expect(await claim()).toEqual([ids[0]]);
    expect(await claim()).toEqual([]);
    // A success ends the streak: the rest go at full speed.
    await hub.db.updateTable('webhook_subscriptions').set({ consecutive_failures: 0 }).where('id', '=', sub.body.id).execute();
    expect(await claim()).toEqual(ids.slice(1, 4).sort());
  });
  test("a claim comes back in its own order: every subscription's first delivery, then every second, so a small one is sent at the head of a big claim", async () => {
    const big = await hub.tenant();
    const small = await hub.tenant();
    const subscribe = async (key: string, path: string) =>
      (await hub.call('POST', '/v1/webhooks/subscriptions', { key, body: { url: `https://receiver.example.com/${path}`, provider: 'standard', events: ['stop.created'] } })).body.id as string;
    const bigSubs = [await subscribe(big.key, 'big-1'), await subscribe(big.key, 'big-2')];
    const smallSub = await subscribe(small.key, 'small');
    for (let i = 0; i < 12; i++) await createStop(hub, big.key);
    await createStop(hub, small.key);
    const claimed = (await claimDue(hub.db, 100, 16)).filter((c) => [...bigSubs, smallSub].includes(c.subscription_id));
    expect(claimed).toHaveLength(25);
    // The small tenant's one delivery is among the first round (one per subscription), not after the big one's 24.
    expect(claimed.slice(0, 3).map((c) => c.subscription_id).sort()).toEqual([...bigSubs, smallSub].sort());
    // Then the big tenant's two subscriptions take turns: every pair holds one of each.
    for (let k = 3; k < 25; k += 2) expect(claimed.slice(k, k + 2).map((c) => c.subscription_id).sort()).toEqual([...bigSubs].sort());
  });
});
