import { sql } from 'kysely';
import type { ActivityDeps } from './deps';

export function systemActivities({ db }: ActivityDeps) {
  return {
    async databaseTime(): Promise<string> {
      const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
      return rows[0]!.now.toISOString();
    },

    /** Idempotency records past their 24 h and rate-limit windows that have closed. */
    async purgeExpiredRecords(): Promise<number> {
      const keys = await db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
      const windows = await db.deleteFrom('rate_limits').where('expire', '<', sql<string>`(extract(epoch from now()) * 1000)::bigint`).executeTakeFirst();
      return Number(keys.numDeletedRows) + Number(windows.numDeletedRows);
    },
  };
}
