/**
 * A subscription's delivery stats over a window (`GET /v1/webhooks/subscriptions/:id/stats`):
 * tries by outcome, latency percentiles, tries per bucket, the last error. Three queries over
 * the window's tries, run together.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { SubscriptionRow } from '../db/schema';
import { iso } from '../iso';
import { STATS_WINDOWS, type StatsResource, type StatsWindow } from '../schemas/recoveries';

export async function subscriptionStats(db: Db, sub: SubscriptionRow, window: StatsWindow): Promise<StatsResource> {
  const w = STATS_WINDOWS[window];
  const since = new Date(Date.now() - w.ms);
  const tries = db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .where('d.subscription_id', '=', sub.id)
    .where('a.started_at', '>=', since);
  const [totals, buckets, lastError] = await Promise.all([
    tries
      .select([
        sql<string>`count(*)`.as('total'),
        sql<string>`count(*) filter (where a.succeeded)`.as('succeeded'),
        sql<number | null>`percentile_cont(0.5) within group (order by a.duration_ms)`.as('p50'),
        sql<number | null>`percentile_cont(0.95) within group (order by a.duration_ms)`.as('p95'),
        sql<number | null>`percentile_cont(0.99) within group (order by a.duration_ms)`.as('p99'),
      ])
      .executeTakeFirstOrThrow(),
    sql<{ start: Date; succeeded: string; failed: string }>`
      select b.start, count(a.*) filter (where a.succeeded) as succeeded, count(a.*) filter (where not a.succeeded) as failed
      from generate_series(date_bin(${w.bucket}::interval, ${since}::timestamptz, 'epoch'), now(), ${w.bucket}::interval) b(start)
      left join (${tries.select(['a.started_at', 'a.succeeded'])}) a
        on a.started_at >= b.start and a.started_at < b.start + ${w.bucket}::interval
      group by b.start order by b.start`.execute(db),
    tries.select(['a.error', 'a.status_code']).where('a.succeeded', '=', false).orderBy('a.started_at', 'desc').limit(1).executeTakeFirst(),
  ]);
  const total = Number(totals.total);
  const succeeded = Number(totals.succeeded);
  const ms = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  const stats: StatsResource = {
    subscription_id: sub.id,
    window,
    tries: { total, succeeded, failed: total - succeeded },
    success_rate: total ? succeeded / total : null,
    latency_ms: { p50: ms(totals.p50), p95: ms(totals.p95), p99: ms(totals.p99) },
    last_success_at: iso(sub.last_success_at),
    last_failure_at: iso(sub.last_failure_at),
    last_error: lastError ? (lastError.error ?? `HTTP ${lastError.status_code}`) : null,
    buckets: buckets.rows.map((b) => ({ start: iso(b.start), succeeded: Number(b.succeeded), failed: Number(b.failed) })),
  };
  return stats;
}
