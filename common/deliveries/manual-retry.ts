/**
 * A subscriber's manual retry of a failed delivery: a new series of tries on the subscription's
 * schedule, the first one now, back on the queue the workers take from. The status check and the
 * switch are one statement (deliveries/moves.ts), so two retries cannot both win.
 */
import type { Db } from '../db/connect';
import type { DeliveryRow, DeliveryStatus } from '../db/schema';
import { requeueDeliveries } from './moves';
import { triesPerSeries } from '../dialects/profiles';
import { ownedBy, type WebhookOwner } from '../subscriptions/subscriptions';

export type ManualRetry =
  | { outcome: 'not_found' }
  | { outcome: 'not_failed'; status: DeliveryStatus }
  | { outcome: 'subscription_disabled'; status: DeliveryStatus }
  | { outcome: 'scheduled'; delivery: DeliveryRow };

/** `which` is the delivery's id (the /v1 API) or its number (the Partner API). */
export async function retryFailedDelivery(db: Db, owner: WebhookOwner, which: { id: string } | { number: string }): Promise<ManualRetry> {
  const found = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select(['d.id', 'd.status', 's.is_active', 's.deleted_at', 's.provider', 's.retry_schedule'])
    .where((eb) => ('id' in which ? eb('d.id', '=', which.id) : eb('d.number', '=', which.number)))
    .where((eb) => (owner.tenantId !== undefined ? eb('d.tenant_id', '=', owner.tenantId) : eb('d.partner_id', '=', owner.partnerId)))
    .executeTakeFirst();
  if (!found) return { outcome: 'not_found' };
  if (found.status !== 'failed') return { outcome: 'not_failed', status: found.status };
  if (!found.is_active || found.deleted_at) return { outcome: 'subscription_disabled', status: found.status };
  const [requeued] = await requeueDeliveries(db, 'manualRetry', [found.id], triesPerSeries(found));
  const delivery = requeued ? await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', requeued).where(ownedBy(owner)).executeTakeFirst() : undefined;
  return delivery ? { outcome: 'scheduled', delivery } : { outcome: 'not_failed', status: 'pending' };
}
