/**
 * One workflow per event (`event/<event id>`): delivers it to every matching subscription, each
 * on its own dialect's schedule with durable timers. Every try is one activity run with no
 * hidden retries; a try lost to a crash is recorded as a failed try, never silently repeated.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AttemptArgs, AttemptResult } from '../activities/webhooks';
import type { PlannedDelivery } from '../common/webhooks/plan';
import { SA } from '../common/temporal/search-attributes';

/**
 * The HTTP tries and their recording run as local activities, inside the workflow task: an
 * event's first tries to all its subscriptions go out in the workflow's first task, as one batch
 * with one write. A worker crash in the middle of a try re-runs it on replay (same message id,
 * so receivers can deduplicate); a try already recorded is never sent again.
 */
const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});
/** HTTP tries: exactly one attempt per call, never retried. Each POST's timeout is the dialect's (at most 15 s). */
const http = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } });

export interface DeliverEventInput {
  tenantId: string;
  eventId: string;
  /**
   * The deliveries planned when the event was committed, as the outbox relay read them (it set
   * the search attributes at start). Without them the workflow reads the event's open deliveries.
   */
  deliveries?: PlannedDelivery[];
  /**
   * Set the SubscriptionId/Provider search attributes (default). Off for a Temporal without the
   * hub's custom attributes registered, such as the time-skipping test server.
   */
  indexed?: boolean;
}

export const subscriptionStoppedSignal = defineSignal<[string]>('subscriptionStopped');
export const retryDeliverySignal = defineSignal<[string]>('retryDelivery');
export const deliveryStateQuery = defineQuery<Record<string, { status: string; attempts: number }>>('state');

export async function deliverEventWorkflow(input: DeliverEventInput): Promise<Record<string, string>> {
  const scopes = new Map<string, CancellationScope>();
  const subscriptionOf = new Map<string, string>();
  const stoppedSubscriptions = new Set<string>();
  const state: Record<string, { status: string; attempts: number }> = {};
  const running = new Set<string>();
  const retryQueue: string[] = [];

  setHandler(deliveryStateQuery, () => state);
  setHandler(subscriptionStoppedSignal, (subscriptionId) => {
    stoppedSubscriptions.add(subscriptionId);
    for (const [deliveryId, sub] of subscriptionOf) if (sub === subscriptionId) scopes.get(deliveryId)?.cancel();
  });
  setHandler(retryDeliverySignal, (deliveryId) => {
    retryQueue.push(deliveryId);
  });

  const argsFor = (p: PlannedDelivery, attempt: number): AttemptArgs => {
    const nth = attempt - p.attemptsMade; // 1-based within this series of tries
    return {
      deliveryId: p.deliveryId,
      attempt,
      maxAttempts: p.maxAttempts,
      nextDelaySeconds: attempt < p.maxAttempts ? (p.delaysSeconds[nth - 1] ?? null) : null,
      maxDelaySeconds: Math.max(0, ...p.delaysSeconds),
    };
  };

  /** One batch of tries; a batch lost with its activity is recorded as failed tries. */
  const send = async (tries: AttemptArgs[]): Promise<AttemptResult[]> => {
    try {
      return await http.attemptDeliveries({ tries });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
      return db.recordLostAttempts({ tries, error: `try lost before it was recorded: ${reason}` });
    }
  };

  /** A delivery's series of tries, from its first result (given, or made here) through its retries. */
  const runDelivery = async (p: PlannedDelivery, first?: AttemptResult): Promise<void> => {
    const scope = new CancellationScope();
    scopes.set(p.deliveryId, scope);
    subscriptionOf.set(p.deliveryId, p.subscriptionId);
    running.add(p.deliveryId);
    state[p.deliveryId] = { status: 'retrying', attempts: p.attemptsMade };
    if (stoppedSubscriptions.has(p.subscriptionId)) scope.cancel();
    try {
      await scope.run(async () => {
        let attempt = p.attemptsMade + 1;
        let result = first ?? (await send([argsFor(p, attempt)]))[0]!;
        for (;;) {
          state[p.deliveryId] = { status: result.status, attempts: attempt };
          if (result.status !== 'retrying' || attempt >= p.maxAttempts) return;
          await sleep(result.waitSeconds * 1000);
          attempt++;
          result = (await send([argsFor(p, attempt)]))[0]!;
        }
      });
    } catch (err) {
      if (!isCancellation(err)) throw err;
      // The subscription was disabled or deleted: its pending retries stop here.
      await CancellationScope.nonCancellable(() => db.cancelDelivery({ deliveryId: p.deliveryId }));
      state[p.deliveryId] = { status: 'cancelled', attempts: state[p.deliveryId]?.attempts ?? 0 };
    } finally {
      running.delete(p.deliveryId);
    }
  };

  let deliveries = input.deliveries;
  if (!deliveries) {
    const plan = await db.loadOpenDeliveries({ tenantId: input.tenantId, eventId: input.eventId });
    deliveries = plan.deliveries;
    if (deliveries.length && input.indexed !== false) {
      upsertSearchAttributes([
        { key: SA.EventType, value: plan.eventType },
        { key: SA.SubscriptionId, value: [...new Set(deliveries.map((d) => d.subscriptionId))] },
        { key: SA.Provider, value: [...new Set(deliveries.map((d) => d.provider))] },
      ]);
    }
  }
  // Every subscription's first try goes out together: one local activity, one write.
  const firsts = deliveries.length ? await send(deliveries.map((p) => argsFor(p, p.attemptsMade + 1))) : [];
  const all: Promise<void>[] = deliveries.map((p, i) => runDelivery(p, firsts[i]));

  // Manual retries of failed deliveries arrive as signals (with signal-with-start once this run ended).
  for (;;) {
    await condition(() => retryQueue.length > 0 || running.size === 0);
    if (retryQueue.length === 0) break;
    const deliveryId = retryQueue.shift()!;
    if (running.has(deliveryId)) continue;
    const again = await db.planRetry({ deliveryId });
    if (again) all.push(runDelivery(again));
  }
  await Promise.all(all);
  return Object.fromEntries(Object.entries(state).map(([id, s]) => [id, s.status]));
}
