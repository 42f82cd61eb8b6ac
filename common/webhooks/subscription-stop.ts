/**
 * When a subscription is disabled or deleted its pending deliveries stop: they are marked
 * cancelled, and the retry workflows of those that were waiting are told to stop at once (one
 * that misses the signal finds the delivery cancelled when its wait ends).
 */
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { inParallel } from '../in-parallel';
import { cancelDeliverySignal, deliveryWorkflowId } from '../temporal/delivery-retry';

/** Signals are sent to this many workflows at most per call; the rest notice by themselves. */
const MAX_SIGNALS = 200;
const SIGNAL_DEADLINE_MS = 5_000;

export async function stopSubscriptionDeliveries(db: Db, temporal: Client, subscriptionId: string): Promise<number> {
  const cancelled = await sql<{ id: string; waiting: boolean }>`
    with open as (
      select id, (status = 'retrying' or attempt_count > retry_base) as waiting from webhook_deliveries
      where subscription_id = ${subscriptionId} and status in ('pending', 'retrying')
      for update
    )
    update webhook_deliveries d set status = 'cancelled', next_retry_at = null, lease_until = null, handoff_pending = false
    from open where d.id = open.id
    returning d.id, open.waiting`.execute(db);
  const waiting = cancelled.rows.filter((r) => r.waiting).slice(0, MAX_SIGNALS);
  await temporal.connection
    .withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      inParallel(waiting, 16, (d) =>
        temporal.workflow
          .getHandle(deliveryWorkflowId(d.id))
          .signal(cancelDeliverySignal)
          .catch(() => undefined), // already finished, or Temporal is slow: the workflow finds out itself
      ),
    )
    .catch(() => undefined);
  return cancelled.rows.length;
}
