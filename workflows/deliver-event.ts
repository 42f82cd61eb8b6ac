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
import type { AttemptResult } from '../activities/webhooks';
import type { PlannedDelivery } from '../common/webhooks/plan';
import { SA } from '../common/temporal/search-attributes';

/**
 * Planning, recording and the HTTP try run as local activities, inside the workflow task: an
 * event with one subscription is delivered in a single round trip to the server. A worker crash
 * in the middle of a try re-runs it on replay (same message id, so receivers can deduplicate);
 * a try already recorded is never sent again.
 */
const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});
/** The HTTP try: exactly one attempt per call. Its own timeout is the dialect's (at most 15 s). */
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
  const state: Record<string, { status: string; attempts: number }> = {};
  const running = new Set<string>();
  const retryQueue: string[] = [];

  setHandler(deliveryStateQuery, () => state);
  setHandler(subscriptionStoppedSignal, (subscriptionId) => {
    for (const [deliveryId, sub] of subscriptionOf) if (sub === subscriptionId) scopes.get(deliveryId)?.cancel();
  });
  setHandler(retryDeliverySignal, (deliveryId) => {
    retryQueue.push(deliveryId);
  });

  const runDelivery = async (p: PlannedDelivery): Promise<void> => {
    const scope = new CancellationScope();
    scopes.set(p.deliveryId, scope);
    subscriptionOf.set(p.deliveryId, p.subscriptionId);
    running.add(p.deliveryId);
    state[p.deliveryId] = { status: 'retrying', attempts: p.attemptsMade };
    try {
      await scope.run(async () => {
        for (let attempt = p.attemptsMade + 1; attempt <= p.maxAttempts; attempt++) {
          const nth = attempt - p.attemptsMade; // 1-based within this series of tries
          const nextDelaySeconds = attempt < p.maxAttempts ? (p.delaysSeconds[nth - 1] ?? null) : null;
          const args = { deliveryId: p.deliveryId, attempt, maxAttempts: p.maxAttempts, nextDelaySeconds, maxDelaySeconds: Math.max(0, ...p.delaysSeconds) };
          let result: AttemptResult;
          try {
            result = await http.attemptDelivery(args);
          } catch (err) {
            if (isCancellation(err)) throw err;
            const reason = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
            result = await db.recordLostAttempt({ ...args, error: `try lost before it was recorded: ${reason}` });
          }
          state[p.deliveryId] = { status: result.status, attempts: attempt };
          if (result.status !== 'retrying') return;
          await sleep(result.waitSeconds * 1000);
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
  const all: Promise<void>[] = deliveries.map(runDelivery);

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
