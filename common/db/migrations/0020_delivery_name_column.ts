import { type Kysely, sql } from 'kysely';

/**
 * A delivery's `event_type` held the event's name in its subscription's dialect (`trip.created`,
 * `STOP_STATUS_UPDATED`), not the event's type, so every query that read both had to alias one.
 * The column now says what it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhook_deliveries rename column event_type to name`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhook_deliveries rename column name to event_type`.execute(db);
}
