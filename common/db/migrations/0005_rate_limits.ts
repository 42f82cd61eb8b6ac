import { type Kysely, sql } from 'kysely';

/** The table rate-limiter-flexible's Postgres store uses (created here, not by the library at run time). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table if not exists rate_limits (key varchar(255) primary key, points integer not null default 0, expire bigint)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
}
