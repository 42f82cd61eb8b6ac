/**
 * Appends events inside the caller's transaction, with their webhook deliveries queued.
 * Positions come from the tenant's counter row, taken as late as possible so the row lock is
 * held only until commit: positions follow commit order, which is what lets a polling cursor
 * never skip an event.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { deliveriesFor } from '../webhooks/plan';
import { CHANNELS, notify } from './notify';

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

/**
 * Writes the events and one pending delivery per matching active subscription; the commit wakes
 * the workers' delivery queue. Returns how many deliveries were queued.
 */
export async function appendEvents(
  trx: Transaction<Database>,
  tenantId: string,
  events: readonly NewEvent[],
  opts: { onlySubscriptionId?: string } = {},
): Promise<number> {
  if (events.length === 0) return 0;
  const deliveries = await deliveriesFor(trx, tenantId, events, opts.onlySubscriptionId);
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
  if (deliveries.length === 0) return 0;
  // Postgres caps the parameters of one statement; 5,000 rows of 8 columns stay well inside.
  for (let i = 0; i < deliveries.length; i += 5_000) {
    await trx.insertInto('webhook_deliveries').values(deliveries.slice(i, i + 5_000)).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
  await notify(trx, CHANNELS.deliveries);
  return deliveries.length;
}
