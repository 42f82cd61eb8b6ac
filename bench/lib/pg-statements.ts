/**
 * Where Postgres's time goes in a phase (BENCH_PG_STATEMENTS=1 runs the embedded server with
 * pg_stat_statements): the statements that took the most, per delivery. Off by default, since the
 * extension costs every statement a little and the bench's CPU rows should not carry it.
 */
import { sql } from 'kysely';
import type { Harness } from './harness';

export const STATEMENT_PROFILE = process.env.BENCH_PG_STATEMENTS === '1';
if (STATEMENT_PROFILE) process.env.HUB_PG_STATEMENT_STATS = '1';

/** Starts counting; the returned function prints the top statements per `count` units. */
export async function statementProfile(h: Harness): Promise<(label: string, count: number, unit?: string) => Promise<void>> {
  if (!STATEMENT_PROFILE) return async () => undefined;
  await sql`select pg_stat_statements_reset()`.execute(h.services.database.db);
  return async (label, count, unit = 'delivery') => {
    const { rows } = await sql<{ calls: string; total_ms: number; rows: string; query: string }>`
      select calls::text, total_exec_time as total_ms, rows::text, regexp_replace(query, '\\s+', ' ', 'g') as query
      from pg_stat_statements where query not like '%pg_stat_statements%' order by total_exec_time desc limit 10`.execute(h.services.database.db);
    const all = await sql<{ total_ms: number }>`select coalesce(sum(total_exec_time), 0) as total_ms from pg_stat_statements`.execute(h.services.database.db);
    const per = (n: number) => (n / Math.max(1, count)).toFixed(3);
    console.log(`\n${label}: Postgres statements, per ${unit} (all statements: ${per(all.rows[0]!.total_ms)} ms)`);
    console.log(`ms/${unit} | calls/${unit} | rows/call | statement`);
    for (const r of rows) {
      console.log(`${per(r.total_ms).padStart(11)} | ${per(Number(r.calls)).padStart(14)} | ${(Number(r.rows) / Math.max(1, Number(r.calls))).toFixed(1).padStart(9)} | ${r.query.slice(0, 160)}`);
    }
  };
}
