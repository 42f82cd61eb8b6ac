/**
 * What a subscription's retry timer does in Postgres: one look puts every delivery whose wait
 * ends within the lookahead back on the queue and says what still waits; the recorder asks whether a new wait
 * starts before the timer's next look. Both hold the subscription row (FOR NO KEY UPDATE, so
 * deliveries can still be inserted beside it), so a wait recorded during a look is either seen
 * by that look or finds the wake-up it left and moves it.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { CHANNELS, notify } from '../events/notify';
import { iso } from '../iso';
import { type RetriesSnapshot, RETRY_LOOKAHEAD_MS, SNAPSHOT_SIZE } from '../temporal/subscription-retries';
import { requeueDue } from './moves';

/**
 * Puts back on the queue every waiting delivery of the subscription due within the lookahead,
 * each keeping its due time: the queue consumer sends none before it (it wakes at the earliest,
 * named in the NOTIFY). `cutoff` is the database's now as the timer's clock tells it; when the
 * timer's clock runs far ahead (the time-skipping test server, where hours pass in a second),
 * due times move back by as much, so what the timer finds due goes out within seconds.
 */
export async function requeueDueRetries(db: Db, subscriptionId: string, cutoff?: string): Promise<RetriesSnapshot> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('webhook_subscriptions').select('id').where('id', '=', subscriptionId).forNoKeyUpdate().executeTakeFirst();
    const { n: count, firstAhead: ahead } = await requeueDue(trx, subscriptionId, { cutoff, lookaheadMs: RETRY_LOOKAHEAD_MS });
    const sample = await trx
      .selectFrom('webhook_deliveries')
      .select(['id', 'name', 'attempt_count', 'max_attempts', 'next_retry_at', 'error_message', sql<string>`count(*) over ()`.as('total'), sql<Date>`now()`.as('db_now')])
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
    // Wake the consumers now for what is overdue, and name when the earliest of the rest is due.
    if (count > 0) await notify(trx, CHANNELS.deliveries, ahead ? iso(ahead) : '');
    return {
      dbNow: iso(dbNow),
      requeued: count,
      waiting: Number(sample[0]?.total ?? 0),
      nextDueAt: nextDue ? iso(nextDue) : null,
      oldest: oldest ? { attempt: oldest.attempt_count, maxAttempts: oldest.max_attempts } : null,
      sample: sample.map((d) => ({
        deliveryId: d.id,
        eventType: d.name,
        attempt: d.attempt_count,
        maxAttempts: d.max_attempts,
        nextTryAt: iso(d.next_retry_at!),
        lastError: d.error_message,
      })),
    };
  });
}
