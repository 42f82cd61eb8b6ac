/** What a delivery's retry workflow asks of the queue: put the delivery back, or say how it stands. */
import { sql } from 'kysely';
import { CHANNELS, notify } from '../common/events/notify';
import type { DeliveryRetryActivities, DeliveryTry } from '../common/temporal/delivery-retry';
import { latestTries } from '../common/webhooks/tries';
import type { ActivityDeps } from './deps';

export function deliveryQueueActivities({ db }: ActivityDeps): DeliveryRetryActivities {
  /** The delivery's latest recorded try, or `cancelled`; null if it has none yet. */
  const latestDeliveryTry = async (input: { deliveryId: string }): Promise<DeliveryTry | 'cancelled' | null> => {
    const row = await db.selectFrom('webhook_deliveries').select('status').where('id', '=', input.deliveryId).executeTakeFirst();
    if (!row || row.status === 'cancelled') return 'cancelled';
    return (await latestTries(db, [input.deliveryId])).get(input.deliveryId) ?? null;
  };

  return {
    /** Idempotent: a repeat finds the delivery queued already. */
    async requeueDelivery(input) {
      const queued = await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'pending', next_retry_at: sql`now()`, lease_until: null })
          .where('id', '=', input.deliveryId)
          .where('status', '=', 'retrying')
          .where('attempt_count', '=', input.attempt - 1)
          .returning('id')
          .executeTakeFirst();
        if (row) await notify(trx, CHANNELS.deliveries);
        return row !== undefined;
      });
      if (queued) return 'queued';
      // Queued by an earlier run of this activity (a worker may be sending it right now).
      const again = await db.selectFrom('webhook_deliveries').select(['status', 'attempt_count']).where('id', '=', input.deliveryId).executeTakeFirst();
      if (again?.status === 'pending' && again.attempt_count === input.attempt - 1) return 'queued';
      return (await latestDeliveryTry({ deliveryId: input.deliveryId })) ?? 'cancelled';
    },
  };
}
