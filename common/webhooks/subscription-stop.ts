/**
 * When a subscription is disabled or deleted its pending retries stop: the deliveries are marked
 * cancelled and each running event workflow is told to cancel its timer for that subscription.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';
import { eventWorkflowId } from '../events/outbox';

export async function stopSubscriptionDeliveries(db: Db, temporal: Client, subscriptionId: string): Promise<number> {
  const open = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_retry_at: null })
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['pending', 'retrying'])
    .returning('event_id')
    .execute();
  await Promise.all(
    [...new Set(open.map((d) => d.event_id))].map((eventId) =>
      temporal.workflow
        .getHandle(eventWorkflowId(eventId))
        .signal('subscriptionStopped', subscriptionId)
        .catch(() => undefined), // the workflow already finished: nothing to stop
    ),
  );
  return open.length;
}
