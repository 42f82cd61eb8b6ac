import { type Kysely, sql } from 'kysely';

/** Request windows per key (first counted by rate-limiter-flexible's store; leased since 0018). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table if not exists rate_limits (key varchar(255) primary key, points integer not null default 0, expire bigint)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
}
