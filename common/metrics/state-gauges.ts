/**
 * The gauges of stored state, read from Postgres at scrape time (at most once every few seconds
 * per process, so a tight scrape interval cannot load the database).
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { STOP_STATUSES } from '../stops/lifecycle';
import { METRICS, registry } from './registry';

const REFRESH_MS = 5_000;
let refreshed: { at: number; pending?: Promise<void> } = { at: 0 };

async function refresh(db: Db): Promise<void> {
  const [stops, deliveries, unstarted] = await Promise.all([
    db.selectFrom('stops').select(['status', ({ fn }) => fn.countAll<string>().as('n')]).groupBy('status').execute(),
    sql<{ waiting: string; lag: number | null }>`
      select count(*) filter (where status = 'retrying') as waiting,
        extract(epoch from now() - min(next_retry_at) filter (where status = 'pending' and next_retry_at <= now() and lease_until is null))::float8 as lag
      from webhook_deliveries where status in ('pending', 'retrying')`.execute(db),
    db.selectFrom('stops').select(({ fn }) => fn.countAll<string>().as('n')).where('lifecycle_started_at', 'is', null).executeTakeFirst(),
  ]);
  METRICS.lifecycleStartsPending.set(Number(unstarted?.n ?? 0));
  const byStatus = new Map(stops.map((r) => [r.status, Number(r.n)]));
  for (const status of STOP_STATUSES) METRICS.stops.set({ status }, byStatus.get(status) ?? 0);
  const row = deliveries.rows[0];
  METRICS.retryWaiting.set(Number(row?.waiting ?? 0));
  METRICS.outboxLag.set(Math.max(0, row?.lag ?? 0));
}

/** The process's metrics in the Prometheus text format, state gauges fresh within a few seconds. */
export async function metricsText(db: Db): Promise<string> {
  if (Date.now() - refreshed.at > REFRESH_MS) {
    refreshed.pending ??= refresh(db).finally(() => {
      refreshed = { at: Date.now() };
    });
    await refreshed.pending.catch(() => undefined);
  }
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;
