import { type Kysely, sql } from 'kysely';

/**
 * Waiting deliveries are timed per subscription, not per delivery (issue #22): each delivery
 * keeps its next try time in `next_retry_at`, and one `retries/<subscription>` workflow sleeps
 * until the earliest. `retry_wake_at` is when that workflow will next look: a try that becomes
 * due earlier moves it and wakes the workflow; one due later needs no word to Temporal at all.
 * `handoff_pending` (a try's result owed to its delivery's workflow) has nobody left to tell.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_subscriptions').addColumn('retry_wake_at', 'timestamptz').execute();
  await sql`create index webhook_subscriptions_wake_idx on webhook_subscriptions (retry_wake_at) where retry_wake_at is not null`.execute(db);
  await sql`drop index if exists webhook_deliveries_handoff_idx`.execute(db);
  await db.schema.alterTable('webhook_deliveries').dropColumn('handoff_pending').execute();
  // A timer's look reads its subscription's waiting deliveries by due time.
  await sql`create index webhook_deliveries_waiting_idx on webhook_deliveries (subscription_id, next_retry_at) where status = 'retrying'`.execute(db);
  // New stops without a workflow, taken in turns per tenant by the lifecycle starter.
  await sql`create index stops_unstarted_tenant_idx on stops (tenant_id, created_at) where lifecycle_started_at is null`.execute(db);
  // Deliveries the per-delivery workflows (delivery/…) were waiting on: their subscriptions'
  // timers pick them up (the sweep wakes every subscription whose wake is overdue).
  await sql`
    update webhook_subscriptions s set retry_wake_at = w.due
    from (select subscription_id, min(next_retry_at) as due from webhook_deliveries where status = 'retrying' group by subscription_id) w
    where s.id = w.subscription_id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists webhook_subscriptions_wake_idx`.execute(db);
  await db.schema.alterTable('webhook_subscriptions').dropColumn('retry_wake_at').execute();
  await db.schema.alterTable('webhook_deliveries').addColumn('handoff_pending', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await sql`drop index if exists webhook_deliveries_waiting_idx`.execute(db);
  await sql`drop index if exists stops_unstarted_tenant_idx`.execute(db);
}
