/** A delivery's latest try as its retry workflow hears of it, read back from the database. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { iso } from '../iso';
import type { DeliveryTry } from '../temporal/delivery-retry';

/** The latest recorded try of each delivery (deliveries without one are left out). */
export async function latestTries(db: Kysely<Database>, deliveryIds: readonly string[]): Promise<Map<string, DeliveryTry>> {
  if (deliveryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_attempts as a', (j) => j.onRef('a.delivery_id', '=', 'd.id').onRef('a.attempt_number', '=', 'd.attempt_count'))
    .select(['d.id', 'd.status', 'd.attempt_count', 'd.max_attempts', 'd.next_retry_at', 'a.started_at', 'a.duration_ms', 'a.status_code', 'a.error'])
    .where('d.id', 'in', deliveryIds)
    .execute();
  const now = Date.now();
  return new Map(
    rows.map((r) => {
      const ended = new Date(r.started_at).getTime() + r.duration_ms;
      // What is left of the wait, from now (an overdue retry is due at once).
      const waitMs = r.status === 'retrying' && r.next_retry_at ? Math.max(0, new Date(r.next_retry_at).getTime() - now) : 0;
      const status = r.status === 'pending' ? 'retrying' : r.status;
      return [
        r.id,
        {
          attempt: r.attempt_count,
          maxAttempts: r.max_attempts,
          status,
          startedAt: iso(r.started_at),
          endedAt: new Date(ended).toISOString(),
          durationMs: r.duration_ms,
          statusCode: r.status_code,
          error: r.error,
          waitMs,
          waitFrom: new Date(now).toISOString(),
        },
      ];
    }),
  );
}
