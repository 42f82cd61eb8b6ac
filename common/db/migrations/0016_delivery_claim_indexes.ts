import { type Kysely, sql } from 'kysely';

/**
 * The delivery claim reads the queue per subscription (common/deliveries/moves.ts `claimDue`):
 * which subscriptions have deliveries waiting, by a skip scan of the due index, and how many of
 * each one's are leased, from this index of leased rows. Neither then reads every waiting row, so
 * a claim costs the same with 12,500 deliveries waiting as with 12.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index webhook_deliveries_leased_idx on webhook_deliveries (subscription_id, lease_until) where status = 'pending' and lease_until is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists webhook_deliveries_leased_idx`.execute(db);
}
