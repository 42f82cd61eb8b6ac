import { type Kysely, sql } from 'kysely';

/**
 * API replicas lease requests from a key's window in one statement (api/leased-window.ts); the
 * statement returns how many it granted, which the row's new total alone cannot tell.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table rate_limits add column last_grant integer not null default 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table rate_limits drop column last_grant`.execute(db);
}
