/**
 * What a subscription's retry timer does in Postgres: one look puts every delivery whose wait
 * is over back on the queue and says what still waits; the recorder asks whether a new wait
 * starts before the timer's next look. Both hold the subscription row (FOR NO KEY UPDATE, so
 * deliveries can still be inserted beside it), so a wait recorded during a look is either seen
 * by that look or finds the wake-up it left and moves it.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { CHANNELS, notify } from '../events/notify';
import { iso } from '../iso';
import { type RetriesSnapshot, SNAPSHOT_SIZE } from '../temporal/subscription-retries';

/** A wait ending this soon after the look counts as over: the timer's clock and the database's differ by a few ms. */
const DUE_SLACK_MS = 100;

export async function requeueDueRetries(db: Db, subscriptionId: string, cutoff?: string): Promise<RetriesSnapshot> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('webhook_subscriptions').select('id').where('id', '=', subscriptionId).forNoKeyUpdate().executeTakeFirst();
    const requeued = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_retry_at: sql`now()`, lease_until: null })
      .where('subscription_id', '=', subscriptionId)
      .where('status', '=', 'retrying')
      .where('next_retry_at', '<=', sql<Date>`greatest(now(), ${cutoff ?? null}::timestamptz) + make_interval(secs => ${DUE_SLACK_MS / 1000})`)
      .executeTakeFirst();
    const count = Number(requeued.numUpdatedRows);
    const sample = await trx
      .selectFrom('webhook_deliveries')
      .select(['id', 'event_type', 'attempt_count', 'max_attempts', 'next_retry_at', 'error_message', sql<string>`count(*) over ()`.as('total'), sql<Date>`now()`.as('db_now')])
      .where('subscription_id', '=', subscriptionId)
      .where('status', '=', 'retrying')
      .orderBy('next_retry_at')
      .orderBy('id')
      .limit(SNAPSHOT_SIZE)
      .execute();
    const oldest = sample.length
      ? await trx
          .selectFrom('webhook_deliveries')
          .select(['attempt_count', 'max_attempts'])
          .where('subscription_id', '=', subscriptionId)
          .where('status', '=', 'retrying')
          .orderBy('created_at')
          .limit(1)
          .executeTakeFirst()
      : undefined;
    const nextDue = sample[0]?.next_retry_at ?? null;
    const dbNow = sample[0]?.db_now ?? (await sql<{ now: Date }>`select now()`.execute(trx)).rows[0]!.now;
    await trx.updateTable('webhook_subscriptions').set({ retry_wake_at: nextDue }).where('id', '=', subscriptionId).execute();
    if (count > 0) await notify(trx, CHANNELS.deliveries);
    return {
      dbNow: iso(dbNow),
      requeued: count,
      waiting: Number(sample[0]?.total ?? 0),
      nextDueAt: nextDue ? iso(nextDue) : null,
      oldest: oldest ? { attempt: oldest.attempt_count, maxAttempts: oldest.max_attempts } : null,
      sample: sample.map((d) => ({
        deliveryId: d.id,
        eventType: d.event_type,
        attempt: d.attempt_count,
        maxAttempts: d.max_attempts,
        nextTryAt: iso(d.next_retry_at!),
        lastError: d.error_message,
      })),
    };
  });
}
