import { type Kysely, sql } from 'kysely';

/**
 * When a stop was picked up, on the stop itself (like `completion.completed_at`): an event's
 * snapshot of the stop then carries it, so a Naveera webhook's trip can show the
 * `actual_pickup_time` the Partner API's trip shows. Existing stops take it from their history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table stops add column picked_up_at timestamptz`.execute(db);
  await sql`
    update stops s set picked_up_at = h.at
    from (select stop_id, min(changed_at) as at from stop_history where to_status = 'picked_up' group by stop_id) h
    where h.stop_id = s.id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table stops drop column picked_up_at`.execute(db);
}
