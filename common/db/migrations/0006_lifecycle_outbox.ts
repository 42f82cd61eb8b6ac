import { type Kysely, sql } from 'kysely';

/**
 * A stop created through the API is committed first and its lifecycle workflow started right
 * after by the outbox relay; `lifecycle_started_at` stays null until that start succeeded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stops').addColumn('lifecycle_started_at', 'timestamptz').execute();
  await sql`update stops set lifecycle_started_at = created_at`.execute(db);
  await sql`create index stops_lifecycle_unstarted_idx on stops (created_at) where lifecycle_started_at is null`.execute(db);
  // The relay dispatches imported stops' events now; the import's status counts them live.
  await db.schema.alterTable('imports').dropColumn('events_dispatched').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stops').dropColumn('lifecycle_started_at').execute();
  await db.schema.alterTable('imports').addColumn('events_dispatched', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
