import { type Kysely, sql } from 'kysely';

/**
 * Deliveries become a queue the workers consume directly: a `pending` row is due at
 * `next_retry_at`; a worker takes it by setting `lease_until` (another worker may take it once the
 * lease ran out, as after a crash); `handoff_pending` marks a try whose result its retry workflow
 * has not yet been told. `retry_base` is the attempt a series of tries started after (a manual
 * retry starts a new series on the same schedule).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('webhook_deliveries')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('handoff_pending', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('retry_base', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (subscription_id, next_retry_at) where status = 'pending'`.execute(db);
  await sql`create index webhook_deliveries_handoff_idx on webhook_deliveries (last_attempted_at) where handoff_pending`.execute(db);
  await sql`create index webhook_deliveries_retrying_idx on webhook_deliveries (next_retry_at) where status = 'retrying'`.execute(db);
  // Deliveries the old per-event workflows were still retrying go back to the queue; those
  // workflows (event/…) are no longer run and can be terminated.
  await sql`update webhook_deliveries set status = 'pending', next_retry_at = now() where status = 'retrying'`.execute(db);
  // An event is handed to delivery by its own transaction now (its deliveries are the queue).
  await sql`drop index if exists events_undispatched_idx`.execute(db);
  await db.schema.alterTable('events').dropColumn('dispatched_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists webhook_deliveries_due_idx`.execute(db);
  await sql`drop index if exists webhook_deliveries_handoff_idx`.execute(db);
  await sql`drop index if exists webhook_deliveries_retrying_idx`.execute(db);
  await db.schema.alterTable('webhook_deliveries').dropColumn('lease_until').dropColumn('handoff_pending').dropColumn('retry_base').execute();
  await db.schema.alterTable('events').addColumn('dispatched_at', 'timestamptz').execute();
}
