/**
 * Puts deliveries back on the queue the workers take from, for a new series of tries on their
 * subscription's schedule, the first one now (manual retry, recovery, replay). Only deliveries
 * in one of the `from` statuses move; one that is already on its way is left to it. The message
 * id is the event's, so a receiver can tell a replay from a new event.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { DeliveryStatus } from '../db/schema';
import { CHANNELS, notify } from '../events/notify';
import { retryDelaysOf } from './profiles';

export async function requeueDeliveries(
  db: Db,
  subscription: { provider: string; retry_schedule: number[] | null },
  ids: readonly string[],
  from: readonly DeliveryStatus[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const tries = retryDelaysOf(subscription).length + 1;
  const run = async (trx: Db): Promise<string[]> => {
    const rows = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', retry_base: sql`attempt_count`, max_attempts: sql`attempt_count + ${tries}`, next_retry_at: sql`now()`, failed_at: null, lease_until: null})
      .where('id', 'in', ids)
      .where('status', 'in', from)
      .returning('id')
      .execute();
    if (rows.length) await notify(trx, CHANNELS.deliveries);
    return rows.map((r) => r.id);
  };
  // Inside the caller's transaction when there is one (a recovery marks its items with it).
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
