/** The recovery workflow's steps: hand the next batch back to the queue once the last has been tried. */
import { sql } from 'kysely';
import type { RecoveryActivities } from '../common/temporal/recovery';
import { requeueDeliveries } from '../common/webhooks/requeue';
import type { ActivityDeps } from './deps';

export function recoveryActivities({ db }: ActivityDeps): RecoveryActivities {
  return {
    async recoveryStep(input) {
      const counts = async () => {
        const row = await db
          .selectFrom('webhook_recovery_items as i')
          .innerJoin('webhook_deliveries as d', 'd.id', 'i.delivery_id')
          .select([
            sql<string>`count(*) filter (where i.requeued_at is null)`.as('remaining'),
            // Waiting for its first try, or told to slow down (429/503, with the wait its
            // Retry-After set): the next batch waits for both, so a recovering endpoint is not flooded.
            sql<string>`count(*) filter (where i.requeued_at is not null and (d.status = 'pending'
              or (d.status = 'retrying' and d.response_status in (429, 503) and d.next_retry_at > now())))`.as('in_flight'),
          ])
          .where('i.recovery_id', '=', input.recoveryId)
          .executeTakeFirstOrThrow();
        return { remaining: Number(row.remaining), inFlight: Number(row.in_flight) };
      };
      const before = await counts();
      if (before.inFlight > 0 || before.remaining === 0) return { requeued: 0, ...before };
      const sub = await db.selectFrom('webhook_subscriptions').select(['provider', 'retry_schedule', 'is_active', 'deleted_at']).where('id', '=', input.subscriptionId).executeTakeFirst();
      // A subscription switched off or deleted meanwhile gets nothing more.
      if (!sub || !sub.is_active || sub.deleted_at) return { requeued: 0, remaining: 0, inFlight: 0 };
      const next = await db
        .selectFrom('webhook_recovery_items')
        .select('delivery_id')
        .where('recovery_id', '=', input.recoveryId)
        .where('requeued_at', 'is', null)
        .orderBy('position')
        .limit(input.batch)
        .execute();
      const ids = next.map((n) => n.delivery_id);
      // Marked and handed over in one transaction: a retried step never does either twice.
      const requeued = await db.transaction().execute(async (trx) => {
        await trx.updateTable('webhook_recovery_items').set({ requeued_at: sql`now()` }).where('recovery_id', '=', input.recoveryId).where('delivery_id', 'in', ids).execute();
        return requeueDeliveries(trx, sub, ids, ['failed', 'succeeded', 'cancelled']);
      });
      return { requeued: requeued.length, ...(await counts()) };
    },

    async finishRecovery({ recoveryId, status }) {
      await db.updateTable('webhook_recoveries').set({ status, finished_at: sql`now()` }).where('id', '=', recoveryId).where('status', '=', 'running').execute();
    },
  };
}
