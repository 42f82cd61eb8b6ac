import { type Kysely, sql } from 'kysely';

/**
 * Stored answers to keyed requests can carry a webhook secret (create, rotate): they are kept
 * sealed (AES-256-GCM, like the secrets themselves) instead of as plain jsonb.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('response_sealed', 'text').execute();
  // Answers stored in the clear before this are dropped rather than kept: a retry within their
  // 24 h does the work again, which the ids derived from the key make safe.
  await sql`delete from idempotency_keys`.execute(db);
  await db.schema.alterTable('idempotency_keys').dropColumn('response_body').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('response_body', 'jsonb').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('response_sealed').execute();
}
