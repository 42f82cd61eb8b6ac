/**
 * A subscription's retry timer (workflows/subscription-retries.ts) with its one activity mocked
 * by an in-memory list of waiting tries, on the time-skipping test server: it looks when the
 * earliest try is due (never after), requeues everything due in one look, wakes early for a
 * signal naming an earlier try, and ends when nothing waits.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ensureTools } from '../../dev/tools';
import {
  RETRY_LOOKAHEAD_MS,
  retryDueSignal,
  type RetriesSnapshot,
  type SubscriptionRetriesActivities,
  subscriptionRetriesStateQuery,
} from '../../common/temporal/subscription-retries';
import { WORKFLOWS_PATH } from '../../worker/worker';
import { subscriptionRetriesWorkflow } from '../../workflows/subscription-retries';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: ensureTools().testServer.path } } });
}, 60_000);
afterAll(async () => {
  await env?.teardown();
});

/** Waiting tries by due time (the test server's clock, ms), and when each was put back on the queue. */
class FakeQueue {
  readonly waiting: { id: string; dueAt: number }[] = [];
  readonly requeuedAt = new Map<string, number>();
  looks = 0;

  activities(): SubscriptionRetriesActivities {
    return {
      requeueDueRetries: async ({ cutoff }) => {
        this.looks += 1;
        const now = await env.currentTimeMs();
        const by = Math.max(now, cutoff ? Date.parse(cutoff) : now) + RETRY_LOOKAHEAD_MS;
        const due = this.waiting.filter((w) => w.dueAt <= by);
        for (const w of due) {
          this.requeuedAt.set(w.id, now);
          this.waiting.splice(this.waiting.indexOf(w), 1);
        }
        const next = Math.min(...this.waiting.map((w) => w.dueAt));
        const snapshot: RetriesSnapshot = {
          dbNow: new Date(now).toISOString(),
          requeued: due.length,
          waiting: this.waiting.length,
          nextDueAt: this.waiting.length ? new Date(next).toISOString() : null,
          oldest: this.waiting.length ? { attempt: 2, maxAttempts: 8 } : null,
          sample: [],
        };
        return snapshot;
      },
    };
  }
}

const input = (id: string) => ({ subscriptionId: id, tenantId: 'ten_1', partnerId: null, provider: 'standard' as const, host: 'example.com' });

async function withWorker<T>(queue: FakeQueue, taskQueue: string, run: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: queue.activities() });
  return worker.runUntil(run());
}

test('one look per due time, everything due in it, never late; it ends when nothing waits', async () => {
  const queue = new FakeQueue();
  const t0 = await env.currentTimeMs();
  for (const [id, after] of [['a', 5_000], ['b', 5_000], ['c', 60_000], ['d', 600_000]] as const) queue.waiting.push({ id, dueAt: t0 + after });
  const result = await withWorker(queue, 'retries-unit-1', () =>
    env.client.workflow.execute(subscriptionRetriesWorkflow, { taskQueue: 'retries-unit-1', workflowId: 'retries/whsub_unit1', args: [input('whsub_unit1')] }),
  );
  expect(result).toEqual({ looks: 4, requeued: 4 });
  expect(queue.looks).toBe(4);
  for (const [id, after] of [['a', 5_000], ['b', 5_000], ['c', 60_000], ['d', 600_000]] as const) {
    const at = queue.requeuedAt.get(id)! - t0;
    // Put back on the queue within the lookahead before its due time: the queue sends it then.
    expect([id, at <= after, at >= after - RETRY_LOOKAHEAD_MS - 1_000]).toEqual([id, true, true]);
  }
});

test('a signal naming an earlier try wakes it early, and its state query pages what waits', async () => {
  const queue = new FakeQueue();
  const t0 = await env.currentTimeMs();
  queue.waiting.push({ id: 'late', dueAt: t0 + 3_600_000 });
  const result = await withWorker(queue, 'retries-unit-2', async () => {
    const handle = await env.client.workflow.start(subscriptionRetriesWorkflow, { taskQueue: 'retries-unit-2', workflowId: 'retries/whsub_unit2', args: [input('whsub_unit2')] });
    let state = await handle.query(subscriptionRetriesStateQuery, { limit: 5 });
    for (let i = 0; i < 50 && state.waiting === 0; i++) state = await handle.query(subscriptionRetriesStateQuery, { limit: 5 });
    expect(state).toMatchObject({ waiting: 1, next_try_at: new Date(t0 + 3_600_000).toISOString(), deliveries: [], next_offset: null });
    queue.waiting.push({ id: 'early', dueAt: t0 + 30_000 });
    await handle.signal(retryDueSignal, { at: new Date(t0 + 30_000).toISOString() });
    return handle.result();
  });
  expect(result.requeued).toBe(2);
  const early = queue.requeuedAt.get('early')! - t0;
  expect(early).toBeLessThanOrEqual(30_000);
  expect(early).toBeGreaterThanOrEqual(30_000 - RETRY_LOOKAHEAD_MS - 1_000);
  expect(queue.requeuedAt.get('late')! - t0).toBeLessThanOrEqual(3_600_000);
});
