import { sql } from 'kysely';
import type { ActivityDeps } from './deps';

export function systemActivities({ db }: ActivityDeps) {
  return {
    async databaseTime(): Promise<string> {
      const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
      return rows[0]!.now.toISOString();
    },
  };
}
