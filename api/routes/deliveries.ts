/** Webhook deliveries: list, detail with every try, and manual retry of a failed one. */
import { Router } from 'express';
import { sql } from 'kysely';
import { CHANNELS, notify } from '../../common/events/notify';
import { emptyBody } from '../../common/schemas/primitives';
import { deliveryIdSchema, deliveryListQuerySchema } from '../../common/schemas/webhooks';
import { retryDelaysOf } from '../../common/webhooks/profiles';
import { toAttemptResource, toDeliveryResource } from '../../common/webhooks/resource';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { parseBody, parseId, parseQuery } from '../validate';

export function deliveryRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db } = ctx;

  router.get('/webhooks/deliveries', async (req, res) => {
    const q = parseQuery(deliveryListQuerySchema, req);
    let query = db.selectFrom('webhook_deliveries').where('tenant_id', '=', authOf(req).tenantId);
    if (q.subscription_id) query = query.where('subscription_id', '=', q.subscription_id);
    if (q.event_type) query = query.where('event_type', '=', q.event_type);
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
    const { tenantId } = authOf(req);
    const found = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .select(['d.id', 'd.status', 'd.event_id', 's.is_active', 's.deleted_at', 's.provider', 's.retry_schedule'])
      .where('d.id', '=', id)
      .where('d.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!found) throw notFound('delivery');
    if (found.status !== 'failed') {
      throw new ApiError(400, 'delivery_not_retryable', `only a failed delivery can be retried; this one is ${found.status}`, { status: found.status });
    }
    if (!found.is_active || found.deleted_at) {
      throw new ApiError(400, 'delivery_not_retryable', 'the subscription is disabled; re-enable it first', { status: found.status });
    }
    const tries = retryDelaysOf(found).length + 1;
    // A new series of tries on the subscription's schedule, first one now: back on the queue the
    // workers take from. The status check and the switch are one statement: two retries cannot both win.
    const claimed = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', retry_base: sql`attempt_count`, max_attempts: sql`attempt_count + ${tries}`, next_retry_at: sql`now()`, failed_at: null, lease_until: null, handoff_pending: false })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .returningAll()
        .executeTakeFirst();
      if (row) await notify(trx, CHANNELS.deliveries);
      return row;
    });
    if (!claimed) throw new ApiError(400, 'delivery_not_retryable', 'the delivery is no longer failed', {});
    res.status(202).json({
      delivery_id: id,
      event_id: found.event_id,
      status: 'retrying',
      next_retry_at: new Date(claimed.next_retry_at!).toISOString(),
      message: 'Retry scheduled',
    });
  });

  return router;
}
