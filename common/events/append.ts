/**
 * Appends events inside the caller's transaction. Positions come from the tenant's counter row,
 * taken last so the row lock is held only until commit: positions follow commit order, which
 * is what lets a polling cursor never skip an event.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';

export const EVENT_RETENTION_DAYS = 7;

export interface NewEvent {
  id: string;
  type: string;
  subjectType: 'stop' | 'driver' | 'test';
  subjectId: string;
  sequence?: number;
  previousStatus?: string | null;
  payload: Record<string, unknown>;
}

export async function appendEvents(trx: Transaction<Database>, tenantId: string, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const counter = await trx
    .updateTable('tenants')
    .set({ event_position: sql`event_position + ${events.length}` })
    .where('id', '=', tenantId)
    .returning('event_position')
    .executeTakeFirstOrThrow();
  const first = BigInt(counter.event_position) - BigInt(events.length) + 1n;
  await trx
    .insertInto('events')
    .values(
      events.map((e, i) => ({
        id: e.id,
        tenant_id: tenantId,
        position: (first + BigInt(i)).toString(),
        type: e.type,
        subject_type: e.subjectType,
        subject_id: e.subjectId,
        sequence: e.sequence ?? null,
        previous_status: e.previousStatus ?? null,
        payload: JSON.stringify(e.payload),
        expires_at: sql<Date>`now() + make_interval(days => ${EVENT_RETENTION_DAYS})`,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
