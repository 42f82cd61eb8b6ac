import { type Kysely, sql } from 'kysely';

/**
 * An import's progress is read from its stops (how many have their lifecycle workflow started)
 * instead of being kept beside them: the workers' lifecycle starter, not the import, starts them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('imports').dropColumn('status').dropColumn('workflows_started').dropColumn('completed_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('imports')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('committed'))
    .addColumn('workflows_started', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await sql`update imports set status = 'completed'`.execute(db);
}
