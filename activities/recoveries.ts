/**
 * The recovery workflow's steps: hand the next batch back to the queue, then wait in the
 * activity (heartbeating, looking at Postgres every RECOVERY_POLL_MS) until it has been tried,
 * so the workflow does one activity per batch instead of waking every second.
 */
import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { RECOVERY_POLL_MS, RECOVERY_STEP_MAX_WAIT_MS, type RecoveryActivities, type RecoveryWorkflowInput } from '../common/temporal/recovery';
import { requeueDeliveries } from '../common/deliveries/moves';
import { triesPerSeries } from '../common/dialects/profiles';
import { finishRecovery } from '../common/recoveries/recoveries';
import type { Db } from '../common/db/connect';
import type { SubscriptionRow } from '../common/db/schema';
import type { ActivityDeps } from './deps';

/** Where a recovery stands: not handed over yet, handed over and not yet tried, and whether it still runs. */
async function standing(db: Db, recoveryId: string): Promise<{ remaining: number; inFlight: number; running: boolean }> {
  const row = await db
    .selectFrom('webhook_recovery_items as i')
    .innerJoin('webhook_deliveries as d', 'd.id', 'i.delivery_id')
    .select((eb) => [
      sql<string>`count(*) filter (where i.requeued_at is null)`.as('remaining'),
      // Waiting for its first try, or told to slow down (429/503, with the wait its
      // Retry-After set): the next batch waits for both, so a recovering endpoint is not flooded.
      sql<string>`count(*) filter (where i.requeued_at is not null and (d.status = 'pending'
        or (d.status = 'retrying' and d.response_status in (429, 503) and d.next_retry_at > now())))`.as('in_flight'),
      eb.selectFrom('webhook_recoveries').select('status').where('id', '=', recoveryId).as('status'),
    ])
    .where('i.recovery_id', '=', recoveryId)
    .executeTakeFirstOrThrow();
  return { remaining: Number(row.remaining), inFlight: Number(row.in_flight), running: row.status === 'running' };
}

export function recoveryActivities({ db }: ActivityDeps): RecoveryActivities {
  /** Marks and hands over the next batch in one transaction: a retried step never does either twice, and a recovery cancelled meanwhile hands nothing over. */
  const handOver = async (input: RecoveryWorkflowInput, sub: Pick<SubscriptionRow, 'provider' | 'retry_schedule'>): Promise<number> =>
    db.transaction().execute(async (trx) => {
      // The row lock orders this against finishRecovery: after a cancel, nothing more goes.
      const rec = await trx.selectFrom('webhook_recoveries').select('status').where('id', '=', input.recoveryId).forUpdate().executeTakeFirst();
      if (rec?.status !== 'running') return 0;
      const next = await trx
        .selectFrom('webhook_recovery_items')
        .select('delivery_id')
        .where('recovery_id', '=', input.recoveryId)
        .where('requeued_at', 'is', null)
        .orderBy('position')
        .limit(input.batch)
        .execute();
      const ids = next.map((n) => n.delivery_id);
      if (!ids.length) return 0;
      await trx.updateTable('webhook_recovery_items').set({ requeued_at: sql`now()` }).where('recovery_id', '=', input.recoveryId).where('delivery_id', 'in', ids).execute();
      return (await requeueDeliveries(trx, 'resend', ids, triesPerSeries(sub))).length;
    });

  return {
    async recoveryStep(input) {
      const ctx = Context.current();
      let now = await standing(db, input.recoveryId);
      let requeued = 0;
      if (now.running && now.inFlight === 0 && now.remaining > 0) {
        const sub = await db.selectFrom('webhook_subscriptions').select(['provider', 'retry_schedule', 'is_active', 'deleted_at']).where('id', '=', input.subscriptionId).executeTakeFirst();
        // A subscription switched off or deleted meanwhile gets nothing more.
        if (!sub || !sub.is_active || sub.deleted_at) return { requeued: 0, remaining: 0, inFlight: 0, ended: false };
        requeued = await handOver(input, sub);
        now = await standing(db, input.recoveryId);
      }
      // Wait here, not in the workflow: a heartbeat and one indexed query per poll, no workflow
      // task. A cancel reaches this through the heartbeat (Context.sleep then throws) or, sooner,
      // through the recovery's status.
      const deadline = Date.now() + RECOVERY_STEP_MAX_WAIT_MS;
      while (now.running && now.inFlight > 0 && Date.now() < deadline) {
        ctx.heartbeat();
        await ctx.sleep(RECOVERY_POLL_MS);
        now = await standing(db, input.recoveryId);
      }
      return { requeued, remaining: now.remaining, inFlight: now.inFlight, ended: !now.running };
    },

    async finishRecovery({ recoveryId, status }) {
      await finishRecovery(db, recoveryId, status);
    },
  };
}
