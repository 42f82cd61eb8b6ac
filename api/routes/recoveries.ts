/**
 * Recovery after a bad day: re-send a subscription's failed deliveries of a window, replay
 * chosen events (same message ids, so receivers can deduplicate), follow or cancel either, and
 * read the subscription's delivery stats. Each recovery is a workflow (`recover/<id>`).
 */
import { type Request, Router } from 'express';
import { sql } from 'kysely';
import type { SubscriptionRow } from '../../common/db/schema';
import { iso } from '../../common/iso';
import { emptyBody, idParam } from '../../common/schemas/primitives';
import { recoverSchema, replaySchema, STATS_WINDOWS, type StatsResource, statsQuerySchema } from '../../common/schemas/recoveries';
import { subscriptionIdSchema } from '../../common/schemas/webhooks';
import { recoveryWorkflowId, recoveryWorkflowOptions } from '../../common/temporal/recovery';
import { createRecovery, finishRecovery, loadRecovery, type NewRecovery, RecoveryRunningError } from '../../common/webhooks/recoveries';
import { findSubscription } from '../../common/webhooks/subscriptions';
import { recoveryWorkflow } from '../../workflows/recovery';
import type { ApiContext } from '../context';
import { conflict, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { parseBody, parseId, parseQuery } from '../validate';

const recoveryIdSchema = idParam('rcv');

export function recoveryRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;

  const loadSubscription = async (req: Request): Promise<SubscriptionRow & { tenant_id: string }> => {
    const id = parseId(subscriptionIdSchema, req.params.id, 'subscription');
    const row = await findSubscription(db, { tenantId: authOf(req).tenantId }, id);
    if (!row || !row.tenant_id) throw notFound('subscription');
    return { ...row, tenant_id: row.tenant_id };
  };

  /** Stores the recovery, starts its workflow (joining it on a keyed retry) and answers 202. */
  const start = async (req: Request, sub: SubscriptionRow & { tenant_id: string }, r: Omit<NewRecovery, 'id'>) => {
    if (!sub.is_active) throw conflict('the subscription is disabled; re-enable it first (PATCH is_active: true)', { reason: 'subscription_disabled', is_active: false });
    const id = createdIdFor(req, 'rcv', sub.tenant_id);
    try {
      await createRecovery(db, sub, { ...r, id }, config.quotaDefaults);
    } catch (err) {
      if (err instanceof RecoveryRunningError) throw conflict(err.message, { reason: 'recovery_running', subscription_id: sub.id, running_recovery_id: err.runningId });
      throw err;
    }
    try {
      await temporal.workflow.start(
        recoveryWorkflow,
        recoveryWorkflowOptions(config.taskQueues.background, { tenantId: sub.tenant_id, recoveryId: id, subscriptionId: sub.id, batch: config.deliveryQueue.perSubscription }),
      );
    } catch (err) {
      // A recovery without its workflow would hold the subscription's one slot for good. If the
      // start did go through, its workflow finds the recovery ended and hands nothing over.
      await finishRecovery(db, id, 'cancelled');
      throw err;
    }
    return (await loadRecovery(db, sub.tenant_id, id))!;
  };

  router.post('/webhooks/subscriptions/:id/recover', async (req, res) => {
    const sub = await loadSubscription(req);
    const body = parseBody(recoverSchema, req);
    const recovery = await start(req, sub, { kind: 'recover', since: body.since, until: body.until ?? null });
    res.status(202).location(`/v1/webhooks/recoveries/${recovery.id}`).json(recovery);
  });

  router.post('/webhooks/subscriptions/:id/replay', async (req, res) => {
    const sub = await loadSubscription(req);
    const body = parseBody(replaySchema, req);
    const recovery = await start(req, sub, { kind: 'replay', since: body.since ?? null, eventIds: body.event_ids });
    res.status(202).location(`/v1/webhooks/recoveries/${recovery.id}`).json(recovery);
  });

  router.get('/webhooks/recoveries/:id', async (req, res) => {
    const recovery = await loadRecovery(db, authOf(req).tenantId, parseId(recoveryIdSchema, req.params.id, 'recovery'));
    if (!recovery) throw notFound('recovery');
    res.json(recovery);
  });

  router.post('/webhooks/recoveries/:id/cancel', async (req, res) => {
    const { tenantId } = authOf(req);
    const id = parseId(recoveryIdSchema, req.params.id, 'recovery');
    parseBody(emptyBody, req);
    const recovery = await loadRecovery(db, tenantId, id);
    if (!recovery) throw notFound('recovery');
    if (recovery.status === 'running') {
      const handle = temporal.workflow.getHandle(recoveryWorkflowId(id));
      await handle.cancel();
      await handle.result().catch(() => undefined);
    }
    res.json(await loadRecovery(db, tenantId, id));
  });

  router.get('/webhooks/subscriptions/:id/stats', async (req, res) => {
    const sub = await loadSubscription(req);
    const { window } = parseQuery(statsQuerySchema, req);
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
    res.json(stats);
  });

  return router;
}
