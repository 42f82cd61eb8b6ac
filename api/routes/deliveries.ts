/** Webhook deliveries: list, detail with every try, and manual retry of a failed one. */
import { Router } from 'express';
import { emptyBody } from '../../common/schemas/primitives';
import { deliveryIdSchema, deliveryListQuerySchema } from '../../common/schemas/webhooks';
import { retryFailedDelivery } from '../../common/deliveries/manual-retry';
import { ownedBy } from '../../common/subscriptions/subscriptions';
import { toAttemptResource, toDeliveryResource } from '../../common/deliveries/resource';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { parseBody, parseId, parseQuery } from '../validate';

export function deliveryRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db } = ctx;

  router.get('/webhooks/deliveries', async (req, res) => {
    const q = parseQuery(deliveryListQuerySchema, req);
    let query = db.selectFrom('webhook_deliveries').where(ownedBy({ tenantId: authOf(req).tenantId }));
    if (q.subscription_id) query = query.where('subscription_id', '=', q.subscription_id);
    if (q.event_id) query = query.where('event_id', '=', q.event_id);
    if (q.event_type) query = query.where('name', '=', q.event_type);
    if (q.status) query = query.where('status', '=', q.status);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(q.page_size).offset((q.page - 1) * q.page_size).execute(),
      query.select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const total = Number(count.n);
    res.json({ items: rows.map(toDeliveryResource), total, page: q.page, page_size: q.page_size, has_more: q.page * q.page_size < total });
  });

  router.get('/webhooks/deliveries/:id', async (req, res) => {
    const id = parseId(deliveryIdSchema, req.params.id, 'delivery');
    const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('tenant_id', '=', authOf(req).tenantId).executeTakeFirst();
    if (!row) throw notFound('delivery');
    const attempts = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', id).orderBy('attempt_number').execute();
    res.json({ ...toDeliveryResource(row), attempts: attempts.map(toAttemptResource) });
  });

  router.post('/webhooks/deliveries/:id/retry', async (req, res) => {
    const id = parseId(deliveryIdSchema, req.params.id, 'delivery');
    parseBody(emptyBody, req);
    const retry = await retryFailedDelivery(db, { tenantId: authOf(req).tenantId }, { id });
    if (retry.outcome === 'not_found') throw notFound('delivery');
    if (retry.outcome === 'not_failed') {
      throw new ApiError(400, 'delivery_not_retryable', `only a failed delivery can be retried; this one is ${retry.status}`, { status: retry.status });
    }
    if (retry.outcome === 'subscription_disabled') {
      throw new ApiError(400, 'delivery_not_retryable', 'the subscription is disabled; re-enable it first', { status: retry.status });
    }
    res.status(202).json({
      delivery_id: id,
      event_id: retry.delivery.event_id,
      status: 'retrying',
      next_retry_at: new Date(retry.delivery.next_retry_at!).toISOString(),
      message: 'Retry scheduled',
    });
  });

  return router;
}
