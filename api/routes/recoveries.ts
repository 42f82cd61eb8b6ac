/**
 * Recovery after a bad day: re-send a subscription's failed deliveries of a window, replay
 * chosen events (same message ids, so receivers can deduplicate), follow or cancel either, and
 * read the subscription's delivery stats. Each recovery is a workflow (`recover/<id>`).
 */
import { type Request, Router } from 'express';
import type { SubscriptionRow } from '../../common/db/schema';
import { emptyBody, idParam } from '../../common/schemas/primitives';
import { recoverSchema, replaySchema, statsQuerySchema } from '../../common/schemas/recoveries';
import { subscriptionStats } from '../../common/recoveries/stats';
import { subscriptionIdSchema } from '../../common/schemas/webhooks';
import { recoveryWorkflowId, recoveryWorkflowOptions } from '../../common/temporal/recovery';
import { createRecovery, finishRecovery, loadRecovery, type NewRecovery, RecoveryRunningError } from '../../common/recoveries/recoveries';
import { findSubscription } from '../../common/subscriptions/subscriptions';
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
    res.json(await subscriptionStats(db, sub, window));
  });

  return router;
}
