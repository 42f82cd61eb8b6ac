/** How deliveries behave: retries, Retry-After, 410, redirects, manual retry, disable, delete, rotation. */
import { sql } from 'kysely';
import { WorkflowNotFoundError } from '@temporalio/client';
import { retryDueSignal, subscriptionRetriesStateQuery, subscriptionRetriesWorkflowId } from '../common/temporal/subscription-retries';
import { subscriptionWatchWorkflowId } from '../common/temporal/subscription-watch';
import { PROFILES, PROVIDERS } from '../common/dialects/profiles';
import { outboxSweepWorkflow, subscriptionHealthWorkflow, eventRetentionWorkflow } from '../workflows/housekeeping';
import { RESPONSE_CAPTURE_BYTES } from '../common/deliveries/http-attempt';
import * as verify from '../common/dialects/verify';
import { claimDue } from '../common/deliveries/moves';
import { HOUSEKEEPING, scheduleId } from '../worker/schedules';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createStop, eventually, stopBody } from './support/fixtures';
import { failTimes, ok, Receiver } from './support/receiver';
import { SEED_VERIFIERS } from './support/seed-verifiers';

let hub: TestHub;
let receiver: Receiver;
let n = 0;
beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

/** A tenant with one subscription to a fresh receiver path. */
async function subscribed(body: Record<string, unknown> = {}): Promise<{ t: TestTenant; sub: any; path: string }> {
  const t = await hub.tenant();
  const path = `/p${++n}`;
  const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}${path}`, provider: 'standard', events: ['stop.created'], ...body } });
  expect(res.status).toBe(201);
  return { t, sub: res.body, path };
}

async function deliveriesOf(t: TestTenant, subId: string): Promise<any[]> {
  return (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${subId}`, { key: t.key })).body.items;
}

async function deliveryOnce(t: TestTenant, subId: string, accept: (d: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const list = await eventually(() => deliveriesOf(t, subId), (items) => items.length > 0 && accept(items[0]), timeoutMs);
  if (!list[0] || !accept(list[0])) throw new Error(`the delivery never got there: ${JSON.stringify(list[0])}`);
  const detail = await hub.call('GET', `/v1/webhooks/deliveries/${list[0].id}`, { key: t.key });
  return detail.body;
}

test('a receiver that fails twice gets exactly three tries on the subscription\'s own schedule, each recorded', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1, 1, 1] });
  receiver.on(path, failTimes(2));
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  expect(receiver.at(path)).toHaveLength(3);
  expect(d).toMatchObject({ status: 'succeeded', attempt_count: 3, max_attempts: 4, response_status: 200 });
  expect(d.attempts.map((a: any) => [a.attempt_number, a.status_code, a.succeeded])).toEqual([[1, 500, false], [2, 500, false], [3, 200, true]]);
  expect(d.attempts[0]).toMatchObject({ error: 'HTTP 500', response_body: 'not yet' });
  expect(d.attempts.every((a: any) => a.duration_ms >= 0)).toBe(true);
  const gaps = receiver.at(path).slice(1).map((r, i) => r.at - receiver.at(path)[i]!.at);
  expect(gaps.every((g) => g >= 900)).toBe(true);
  // The same bytes each time, re-signed.
  const bodies = new Set(receiver.at(path).map((r) => r.rawBody.toString()));
  expect(bodies.size).toBe(1);
  const sub2 = (await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key })).body;
  expect(sub2).toMatchObject({ consecutive_failures: 0, last_success_at: expect.any(String), last_failure_at: expect.any(String) });
});

test('only the first 4 KB of a response are kept', async () => {
  const { t, sub, path } = await subscribed();
  receiver.on(path, (_r, _n, res) => res.writeHead(200).end('x'.repeat(10_000)));
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  expect(d.attempts[0].response_body).toHaveLength(RESPONSE_CAPTURE_BYTES);
  expect(d.attempts[0].response_truncated).toBe(true);
});

test('a 429 with Retry-After waits at least that long, bounded by the schedule\'s longest wait', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1, 5] });
  receiver.on(path, (r, nth, res) => (nth === 1 ? res.writeHead(429, { 'retry-after': '3' }).end() : ok(r, nth, res)));
  await createStop(hub, t.key);
  await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  const [first, second] = receiver.at(path);
  expect(second!.at - first!.at).toBeGreaterThanOrEqual(2_900);
});

test('a 3xx is a failed try and the redirect is not followed', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1] });
  receiver.on(path, (_r, _n, res) => res.writeHead(302, { location: `${receiver.url}${path}-target` }).end());
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'failed');
  expect(d.attempts.map((a: any) => a.status_code)).toEqual([302, 302]);
  expect(receiver.at(`${path}-target`)).toHaveLength(0);
});

test('a 410 Gone switches the subscription off at once', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1, 1, 1] });
  receiver.on(path, (_r, _n, res) => res.writeHead(410).end());
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'failed');
  expect(d.attempt_count).toBe(1);
  const after = (await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key })).body;
  expect(after).toMatchObject({ is_active: false, disabled_reason: expect.stringMatching(/410/) });
  expect(after.disabled_at).not.toBeNull();
});

test('a timeout is a failed try', async () => {
  const { t, sub, path } = await subscribed({ provider: 'naveera', events: ['trip.created'], retry_schedule: [1] });
  receiver.on(path, (_r, nth, res) => (nth === 1 ? setTimeout(() => res.writeHead(200).end(), 7_000) : ok(_r, nth, res)));
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded', 30_000);
  expect(d.attempts[0]).toMatchObject({ status_code: null, succeeded: false, error: 'no answer within 5000 ms' });
}, 40_000);

test('manual retry: only a failed delivery, which then gets a new series of tries', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1] });
  receiver.on(path, failTimes(2));
  await createStop(hub, t.key);
  const failed = await deliveryOnce(t, sub.id, (x) => x.status === 'failed');
  expect(failed.attempt_count).toBe(2);

  const retried = await hub.call('POST', `/v1/webhooks/deliveries/${failed.id}/retry`, { key: t.key });
  expect(retried.status).toBe(202);
  expect(retried.body).toMatchObject({ delivery_id: failed.id, status: 'retrying', message: 'Retry scheduled' });
  const again = await hub.call('POST', `/v1/webhooks/deliveries/${failed.id}/retry`, { key: t.key });
  expect(again.status).toBe(400);
  expect(again.body.error.code).toBe('delivery_not_retryable');

  const done = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  expect(done.attempt_count).toBe(3);
  expect(receiver.at(path)).toHaveLength(3);
  const notFailed = await hub.call('POST', `/v1/webhooks/deliveries/${failed.id}/retry`, { key: t.key });
  expect(notFailed.body.error.code).toBe('delivery_not_retryable');
});

test('a retry whose timer is gone (terminated by an operator) is picked up again by the sweep', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [3600] });
  receiver.on(path, failTimes(1));
  await createStop(hub, t.key);
  const waiting = await deliveryOnce(t, sub.id, (x) => x.status === 'retrying');
  const handle = hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(sub.id));
  await eventually(() => handle.describe().catch(() => undefined), (d) => d?.status.name === 'RUNNING', 5_000);
  await handle.terminate('an operator cleaning up');
  // Its hour is long past, and nothing is waiting to send it.
  await hub.db.updateTable('webhook_deliveries').set({ next_retry_at: sql`now() - interval '10 minutes'` }).where('id', '=', waiting.id).execute();
  const swept = await hub.temporal.workflow.execute(outboxSweepWorkflow, { taskQueue: hub.config.taskQueues.background, workflowId: `sweep-${waiting.id}` });
  expect(swept).toBeGreaterThanOrEqual(1);
  const done = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  expect(done.attempt_count).toBe(2);
  expect(receiver.at(path)).toHaveLength(2);
});

test('a wait no timer heard of (the worker could not reach Temporal after recording) is woken by the sweep', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [1] });
  // A worker without its queue work: the delivery is set up by hand as if a try had been
  // recorded and the wake-up lost (no timer runs for the subscription).
  await hub.stopWorkers();
  const blind = await hub.startWorker({ queue: false });
  const stop = await createStop(hub, t.key);
  try {
    const [claimed] = await claimDue(hub.db, 10, 16);
    expect(claimed!.event_id).toBe(`evt_${stop.id.slice(5)}_0001`);
    await hub.db
      .updateTable('webhook_deliveries')
      .set({ status: 'retrying', attempt_count: 1, last_attempted_at: sql`now() - interval '1 minute'`, next_retry_at: sql`now() - interval '59 seconds'`, lease_until: null })
      .where('id', '=', claimed!.id)
      .execute();
    await hub.db.insertInto('webhook_attempts').values({ delivery_id: claimed!.id, attempt_number: 1, started_at: new Date(Date.now() - 60_000), duration_ms: 5, status_code: 500, error: 'HTTP 500', response_body: 'not yet', succeeded: false }).execute();
  } finally {
    await blind.stop();
    await hub.startWorker();
  }
  await expect(hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(sub.id)).describe()).rejects.toThrow(WorkflowNotFoundError);
  const swept = await hub.temporal.workflow.execute(outboxSweepWorkflow, { taskQueue: hub.config.taskQueues.background, workflowId: `sweep-wake-${stop.id}` });
  expect(swept).toBeGreaterThanOrEqual(1);
  const done = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  expect(done).toMatchObject({ status: 'succeeded', attempt_count: 2 });
  expect(receiver.at(path)).toHaveLength(1); // the first try above was made up; only the retry was sent
});

test('disabling stops pending retries; new events are not delivered until it is re-enabled', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [3600] });
  receiver.on(path, failTimes(1));
  const stop = await createStop(hub, t.key);
  const pending = await deliveryOnce(t, sub.id, (x) => x.status === 'retrying');
  const disabled = await hub.call('PATCH', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key, body: { is_active: false } });
  expect(disabled.body).toMatchObject({ is_active: false, disabled_reason: 'disabled by the subscriber' });
  const cancelled = await deliveryOnce(t, sub.id, (x) => x.status === 'cancelled');
  expect(cancelled.id).toBe(pending.id);
  // The subscription's retry timer is told, looks, finds nothing waiting, and ends at once.
  const timer = hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(sub.id));
  expect(await timer.result()).toMatchObject({ requeued: 0 });
  expect(stop.id).toBeDefined();

  await createStop(hub, t.key);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await deliveriesOf(t, sub.id)).toHaveLength(1);

  const enabled = await hub.call('PATCH', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key, body: { is_active: true } });
  expect(enabled.body).toMatchObject({ is_active: true, disabled_at: null, consecutive_failures: 0 });
  await createStop(hub, t.key);
  await eventually(() => deliveriesOf(t, sub.id), (items) => items.some((d) => d.status === 'succeeded'));
  expect(receiver.at(path)).toHaveLength(2);
});

test('deleting a subscription cancels its pending retries and hides it', async () => {
  const { t, sub, path } = await subscribed({ retry_schedule: [3600] });
  receiver.on(path, failTimes(10));
  await createStop(hub, t.key);
  const pending = await deliveryOnce(t, sub.id, (x) => x.status === 'retrying');
  const del = await hub.call('DELETE', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key });
  expect(del.body).toMatchObject({ id: sub.id, deleted: true, cancelled_deliveries: 1 });
  expect((await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key })).status).toBe(404);
  expect(pending.status).toBe('retrying');
  expect(await hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(sub.id)).result()).toMatchObject({ requeued: 0 });
  expect(receiver.at(path)).toHaveLength(1);
});

test('rotating a secret: both secrets sign for the overlap where the header can carry two; elsewhere the answer says there is none', async () => {
  for (const provider of PROVIDERS) {
    const { t, sub, path } = await subscribed({ provider, events: [] });
    const rotated = await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/rotate-secret`, { key: t.key });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(sub.secret);
    expect(Date.parse(rotated.body.rotated_at)).not.toBeNaN();
    const overlap = PROFILES[provider].multipleSignatures;
    if (overlap) expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.parse(rotated.body.rotated_at)).toBeCloseTo(24 * 3600 * 1000, -4);
    else expect(rotated.body.previous_secret_expires_at).toBeNull();
    await createStop(hub, t.key);
    const [got] = await receiver.waitFor(path, 1);
    // The hub's verify module accepts any of the signatures the header carries.
    const h = got!.headers as Record<string, string>;
    const verifyWith = {
      standard: (secret: string) => verify.verifyStandard(got!.rawBody, h, secret),
      zippex: (secret: string) => verify.verifyZippex(got!.rawBody, h['zippex-signature'], secret),
      naveera: (secret: string) => verify.verifyNaveera(got!.rawBody, h['x-naveera-signature'], secret),
      courrex: (secret: string) => verify.verifyCourrex(got!.rawBody, h['x-courrex-signature'], secret),
      easyroutes: (secret: string) => verify.verifyEasyRoutes(got!.rawBody, h['x-easyroutes-hmac-sha256'], secret),
      kourier: (secret: string) => verify.verifyKourier(h.authorization, secret),
    }[provider];
    expect([provider, verifyWith(rotated.body.secret)]).toEqual([provider, true]);
    // A receiver written from the seed that has switched to the new secret accepts it at once.
    expect([provider, SEED_VERIFIERS[provider](got!.rawBody, got!.headers, rotated.body.secret)]).toEqual([provider, true]);
    // Old secret: still accepted only where two signatures fit.
    expect([provider, verifyWith(sub.secret)]).toEqual([provider, overlap]);
  }
});

test('secrets are stored encrypted, never in plaintext', async () => {
  const { sub } = await subscribed();
  const row = await hub.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', sub.id).executeTakeFirstOrThrow();
  expect(JSON.stringify(row)).not.toContain(sub.secret);
  expect(JSON.stringify(row)).not.toContain(sub.secret.replace('whsec_', ''));
  expect(row.secret_enc).toMatch(/^v1:/);
  const listed = await hub.call('GET', '/v1/webhooks/subscriptions', { key: (await hub.tenant()).key });
  expect(listed.text).not.toContain(sub.secret);
});

test('another tenant gets 404 for every subscription and delivery route', async () => {
  const { t, sub } = await subscribed();
  await createStop(hub, t.key);
  const d = await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
  const other = await hub.tenant();
  const calls: [string, string][] = [
    ['GET', `/v1/webhooks/subscriptions/${sub.id}`],
    ['PATCH', `/v1/webhooks/subscriptions/${sub.id}`],
    ['DELETE', `/v1/webhooks/subscriptions/${sub.id}`],
    ['POST', `/v1/webhooks/subscriptions/${sub.id}/rotate-secret`],
    ['POST', `/v1/webhooks/subscriptions/${sub.id}/test`],
    ['GET', `/v1/webhooks/deliveries/${d.id}`],
    ['POST', `/v1/webhooks/deliveries/${d.id}/retry`],
  ];
  for (const [method, path] of calls) {
    const res = await hub.call(method, path, { key: other.key, body: method === 'PATCH' ? { name: 'x' } : undefined });
    expect([method, path, res.status]).toEqual([method, path, 404]);
  }
  expect((await hub.call('GET', '/v1/webhooks/deliveries', { key: other.key })).body.total).toBe(0);
  expect((await hub.call('GET', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key })).status).toBe(200);
});

test('subscription validation: event names of the dialect, provider, schedule, unknown fields', async () => {
  const t = await hub.tenant();
  const cases: [Record<string, unknown>, string][] = [
    [{ url: `${receiver.url}/x`, provider: 'zippex', events: ['stop.created'] }, 'events.0'],
    [{ url: `${receiver.url}/x`, provider: 'naveera', events: ['trip.created', 'trip.teleported'] }, 'events.1'],
    [{ url: `${receiver.url}/x`, provider: 'acme' }, 'provider'],
    [{ url: `${receiver.url}/x`, retry_schedule: [0] }, 'retry_schedule.0'],
    [{ url: `${receiver.url}/x`, retry_schedule: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] }, 'retry_schedule'],
    [{ url: `${receiver.url}/x`, secret: 'mine' }, 'secret'],
    [{ url: 'not a url' }, 'url'],
  ];
  for (const [body, field] of cases) {
    const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body });
    expect([field, res.status]).toEqual([field, 400]);
    expect(res.body.error.details.errors?.map((e: any) => e.field) ?? [res.body.error.details.field]).toContain(field);
  }
  const ok2 = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}/x`, provider: 'zippex', events: ['delivery.delivered', 'delivery.cancelled'] } });
  expect(ok2.status).toBe(201);
  const badPatch = await hub.call('PATCH', `/v1/webhooks/subscriptions/${ok2.body.id}`, { key: t.key, body: { events: ['trip.created'] } });
  expect(badPatch.status).toBe(400);
  const noScope = await hub.tenant(['stops:read']);
  expect((await hub.call('GET', '/v1/webhooks/subscriptions', { key: noScope.key })).status).toBe(403);
});

test('a filter delivers only the named events', async () => {
  const { t, sub, path } = await subscribed({ provider: 'zippex', events: ['delivery.cancelled'] });
  const a = await createStop(hub, t.key);
  await hub.call('POST', `/v1/stops/${a.id}/cancel`, { key: t.key });
  const got = await receiver.waitFor(path, 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.at(path).map((r) => r.body.type)).toEqual(['delivery.cancelled']);
  expect(got[0]!.body.data.status).toBe('cancelled');
  expect(sub.events).toEqual(['delivery.cancelled']);
});

test('a subscription with waiting deliveries is one workflow operators can find, read and follow; it ends when nothing waits', async () => {
  // A wait well past the timer's 2 s lookahead, so a slow machine still finds all three waiting.
  const { t, sub, path } = await subscribed({ provider: 'kourier', events: [], retry_schedule: [8] });
  receiver.on(path, failTimes(3));
  await createStop(hub, t.key);
  await createStop(hub, t.key);
  await createStop(hub, t.key);
  await eventually(() => deliveriesOf(t, sub.id), (ds: any[]) => ds.length === 3 && ds.every((x) => x.status === 'retrying'));
  const handle = hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(sub.id));
  const desc = await handle.describe();
  expect(desc.searchAttributes).toMatchObject({ TenantId: [t.tenantId], SubscriptionId: [sub.id], Provider: ['kourier'] });
  expect(await desc.staticSummary()).toBe(`retries of ${sub.id} → ${new URL(receiver.url).host} (kourier)`);
  // The state is what the timer's last look saw; a look may have come between the failures, so
  // ask for one now (a 'due' signal, as the recorder sends) to see all three.
  await handle.signal(retryDueSignal, { at: new Date().toISOString() });
  const state = await eventually(() => handle.query(subscriptionRetriesStateQuery, { limit: 2 }), (s) => s.waiting === 3);
  expect(state.waiting).toBe(3);
  expect(state.deliveries).toHaveLength(2);
  expect(state.deliveries[0]).toMatchObject({ eventType: 'delivery.created', attempt: 1, maxAttempts: 2, lastError: 'HTTP 500' });
  expect(state.next_offset).toBe(2);
  expect((await handle.query(subscriptionRetriesStateQuery, { offset: 2, limit: 2 })).deliveries).toHaveLength(1);
  expect(Number((await handle.describe()).raw.workflowExecutionInfo?.historyLength)).toBeLessThan(40);
  const found = [];
  for await (const wf of hub.temporal.workflow.list({ query: `SubscriptionId = "${sub.id}"` })) found.push(wf.workflowId);
  expect(found).toEqual([subscriptionRetriesWorkflowId(sub.id)]);

  // Each waited its own 8 s and went out again; with nothing left waiting, the timer ends.
  await eventually(() => deliveriesOf(t, sub.id), (ds: any[]) => ds.every((x) => x.status === 'succeeded'), 20_000);
  expect((await handle.result()).requeued).toBe(3);
  expect(receiver.at(path)).toHaveLength(6);
  // A delivery whose first try succeeds never needs one.
  const fine = await subscribed();
  await createStop(hub, fine.t.key);
  await deliveryOnce(fine.t, fine.sub.id, (x) => x.status === 'succeeded');
  await expect(hub.temporal.workflow.getHandle(subscriptionRetriesWorkflowId(fine.sub.id)).describe()).rejects.toThrow(WorkflowNotFoundError);
});

test('one failing subscription with 200 deliveries waiting at different steps of its schedule: every wait is its delay from the end of its own try, within a second', async () => {
  const schedule = [1, 3, 2];
  const { t, sub, path } = await subscribed({ retry_schedule: schedule });
  // Every 19th answer is a 200, so the failure streak stays short of probing (which would hold
  // back first tries, delivery-moves.test.ts): this test is about the retries' waits.
  receiver.on(path, (r, nth, res) => (nth % 19 === 0 ? ok(r, nth, res) : void res.writeHead(500).end('no')));
  // Four waves of 50, 0.7 s apart: the waits of the waves interleave, so the one timer keeps
  // many different due times at once.
  for (let wave = 0; wave < 4; wave++) {
    const res = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: Array.from({ length: 50 }, () => stopBody()) });
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, 700));
  }
  const ended = () =>
    hub.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'status'])
      .where('subscription_id', '=', sub.id)
      .execute();
  const all = await eventually(ended, (ds) => ds.length === 200 && ds.every((d) => d.status === 'failed' || d.status === 'succeeded'), 60_000);
  expect(all.filter((d) => d.status === 'failed').length).toBeGreaterThan(150);
  const tries = await hub.db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.delivery_id', 'a.attempt_number', 'a.started_at', 'a.duration_ms', 'a.succeeded', 'd.status'])
    .where('d.subscription_id', '=', sub.id)
    .orderBy('a.delivery_id')
    .orderBy('a.attempt_number')
    .execute();
  // Each delivery tried until it succeeded, or every step of its schedule.
  const triesOf = new Map<string, typeof tries>();
  for (const x of tries) triesOf.set(x.delivery_id, [...(triesOf.get(x.delivery_id) ?? []), x]);
  expect(triesOf.size).toBe(200);
  for (const own of triesOf.values()) {
    expect(own.map((x) => x.attempt_number)).toEqual(own.map((_, i) => i + 1));
    if (own[0]!.status === 'failed') expect(own).toHaveLength(schedule.length + 1);
    else expect(own.at(-1)!.succeeded).toBe(true);
  }
  const late: string[] = [];
  for (let i = 1; i < tries.length; i++) {
    const [prev, next] = [tries[i - 1]!, tries[i]!];
    if (prev.delivery_id !== next.delivery_id) continue;
    const waitedS = (next.started_at.getTime() - (prev.started_at.getTime() + prev.duration_ms)) / 1000;
    const delay = schedule[prev.attempt_number - 1]!;
    // The timer puts tries back on the queue ahead of time and the queue sends each at its due
    // time (a few ms of clocks apart): never early, at most a second late.
    if (waitedS < delay - 0.05 || waitedS > delay + 1) late.push(`${next.delivery_id} try ${next.attempt_number}: waited ${waitedS.toFixed(2)} s for ${delay} s`);
  }
  expect(late).toEqual([]);
  // All of it cost one retry timer: its runs are one workflow id.
  const runs: string[] = [];
  for await (const w of hub.temporal.workflow.list({ query: `SubscriptionId = "${sub.id}"` })) runs.push(w.workflowId);
  expect(new Set(runs)).toEqual(new Set([subscriptionRetriesWorkflowId(sub.id)]));
}, 120_000);

describe('housekeeping', () => {
  test('the three Schedules exist with their intervals', async () => {
    await hub.ensureSchedules();
    await hub.ensureSchedules(); // idempotent
    for (const job of HOUSEKEEPING) {
      const desc = await hub.temporal.schedule.getHandle(scheduleId(hub.config.taskQueues.lifecycle, job.name)).describe();
      expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: job.workflowType.name });
      expect(desc.spec.intervals?.length).toBe(1);
    }
  });

  test('a stop whose lifecycle start was missed gets its workflow from the sweep; a lease left by a dead worker runs out and the delivery goes out', async () => {
    const { t, path } = await subscribed();
    // A worker without its queue work: nothing starts the stop's workflow, nothing sends.
    await hub.stopWorkers();
    const bare = await hub.startWorker({ queue: false });
    let stop: any;
    try {
      stop = await createStop(hub, t.key);
      // As if a worker had taken the delivery and died: its lease has just run out.
      await hub.db.updateTable('webhook_deliveries').set({ lease_until: sql`now() - interval '1 second'` }).where('tenant_id', '=', t.tenantId).execute();
      await sql`update stops set created_at = now() - interval '2 minutes' where id = ${stop.id}`.execute(hub.db);
      const swept = await hub.temporal.workflow.execute(outboxSweepWorkflow, { taskQueue: hub.config.taskQueues.background, workflowId: `sweep-${stop.id}` });
      expect(swept).toBeGreaterThanOrEqual(1);
      expect((await hub.temporal.workflow.getHandle(`stop/${stop.id}`).describe()).status.name).toBe('RUNNING');
    } finally {
      await bare.stop();
      await hub.startWorker();
    }
    const [got] = await receiver.waitFor(path, 1);
    expect(got!.headers['webhook-id']).toBe(`evt_${stop.id.slice(5)}_0001`);
  });

  test('auto-disable: 5 days without success (standard) switches off; over 90 % failures (zippex) puts the subscription on a 24 h watch', async () => {
    const stale = await subscribed({ events: [] });
    const zippex = await subscribed({ provider: 'zippex', events: [], retry_schedule: [1] });
    const healthy = await subscribed({ provider: 'zippex', events: [] });
    receiver.on(zippex.path, failTimes(100));
    await createStop(hub, zippex.t.key);
    await deliveryOnce(zippex.t, zippex.sub.id, (x) => x.status === 'failed');
    await hub.db.updateTable('webhook_subscriptions').set({ failing_since: new Date(Date.now() - 6 * 86400_000) }).where('id', '=', stale.sub.id).execute();

    const disabled = await hub.temporal.workflow.execute(subscriptionHealthWorkflow, { taskQueue: hub.config.taskQueues.background, workflowId: `health-${Date.now()}` });
    expect(disabled).toContain(stale.sub.id);
    expect(disabled).not.toContain(zippex.sub.id); // judged after its window (webhook-schedules.test.ts)
    const s = (await hub.call('GET', `/v1/webhooks/subscriptions/${stale.sub.id}`, { key: stale.t.key })).body;
    expect(s).toMatchObject({ is_active: false, disabled_reason: expect.stringMatching(/5 days/) });
    const watch = await hub.temporal.workflow.getHandle(subscriptionWatchWorkflowId(zippex.sub.id)).describe();
    expect(watch.status.name).toBe('RUNNING');
    await expect(hub.temporal.workflow.getHandle(subscriptionWatchWorkflowId(healthy.sub.id)).describe()).rejects.toThrow(WorkflowNotFoundError);
    await hub.temporal.workflow.getHandle(subscriptionWatchWorkflowId(zippex.sub.id)).terminate('test over');
  });

  test('retention purges events past 7 days, with their deliveries', async () => {
    const { t, sub } = await subscribed({ events: [] });
    const stop = await createStop(hub, t.key);
    await deliveryOnce(t, sub.id, (x) => x.status === 'succeeded');
    await hub.db.updateTable('events').set({ expires_at: new Date(Date.now() - 1000) }).where('subject_id', '=', stop.id).execute();
    const purged = await hub.temporal.workflow.execute(eventRetentionWorkflow, { taskQueue: hub.config.taskQueues.background, workflowId: `retention-${Date.now()}` });
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await hub.db.selectFrom('events').select('id').where('subject_id', '=', stop.id).execute()).toEqual([]);
    expect(await deliveriesOf(t, sub.id)).toEqual([]);
  });
});
