import { type Kysely, sql } from 'kysely';

/**
 * The due retries of a probed subscription (common/deliveries/moves.ts `claimDue`): without this
 * index the claim walked past every first try a dead receiver has waiting (500 per subscription
 * after one import) to find the few retries among them, on every pass.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index webhook_deliveries_due_retries_idx on webhook_deliveries (subscription_id, next_retry_at) where status = 'pending' and attempt_count > 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists webhook_deliveries_due_retries_idx`.execute(db);
}
