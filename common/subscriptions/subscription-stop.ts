/**
 * When a subscription is disabled or deleted its pending deliveries stop: they are marked
 * cancelled, and its retry timer is told to look now, so it finds nothing waiting and ends
 * (a timer that misses the word finds the same when it next wakes).
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';
import { cancelSubscriptionDeliveries } from '../deliveries/moves';
import { retryDueSignal, subscriptionRetriesWorkflowId } from '../temporal/subscription-retries';

const SIGNAL_DEADLINE_MS = 5_000;

export async function stopSubscriptionDeliveries(db: Db, temporal: Client, subscriptionId: string): Promise<number> {
  const cancelled = await db.transaction().execute(async (trx) => {
    const n = await cancelSubscriptionDeliveries(trx, subscriptionId);
    await trx.updateTable('webhook_subscriptions').set({ retry_wake_at: null }).where('id', '=', subscriptionId).execute();
    return n;
  });
  await temporal.connection
    .withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => temporal.workflow.getHandle(subscriptionRetriesWorkflowId(subscriptionId)).signal(retryDueSignal, { at: new Date().toISOString() }))
    .catch(() => undefined); // no timer running, or Temporal is slow: the timer finds out when it wakes
  return cancelled;
}
