import { sql } from 'kysely';
import type { PingActivities } from '../common/temporal/ping';
import type { ActivityDeps } from './deps';

export function systemActivities({ db }: ActivityDeps): PingActivities {
  return {
    async databaseTime() {
      const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
      return rows[0]!.now.toISOString();
    },
  };
}
