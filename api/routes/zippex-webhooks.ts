/**
 * Zippex's own webhook registration, so a Zippex integrator's existing calls work: each webhook
 * is a zippex-dialect subscription, also listed under `/v1/webhooks/subscriptions`. Zippex knows
 * it as `wh_<x>`; the hub's subscription is `whsub_<x>`, the same id under another prefix.
 */
import { type Request, Router } from 'express';
import type { SubscriptionRow } from '../../common/db/schema';
import { iso } from '../../common/iso';
import { emptyBody } from '../../common/schemas/primitives';
import { zippexWebhookCreateSchema, zippexWebhookIdSchema } from '../../common/schemas/webhooks';
import { SecretBox } from '../../common/subscriptions/secrets';
import { createSubscription, deleteSubscription, findSubscription, listSubscriptions, SubscriptionLimitReached } from '../../common/subscriptions/subscriptions';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { parseBody, parseId } from '../validate';
import { checkWebhookTarget } from '../webhook-target';

const toZippexId = (subscriptionId: string): string => subscriptionId.replace(/^whsub_/, 'wh_');
const toSubscriptionId = (zippexId: string): string => zippexId.replace(/^wh_/, 'whsub_');

const toZippexWebhook = (row: SubscriptionRow) => ({
  id: toZippexId(row.id),
  url: row.url,
  events: row.events,
  description: row.description,
  active: row.is_active,
  created_at: iso(row.created_at),
});

export function zippexWebhookRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;
  const box = new SecretBox(config.secretKey);

  const loadWebhook = async (req: Request): Promise<SubscriptionRow> => {
    const id = toSubscriptionId(parseId(zippexWebhookIdSchema, req.params.id, 'webhook'));
    const row = await findSubscription(db, { tenantId: authOf(req).tenantId }, id);
    if (!row || row.provider !== 'zippex') throw notFound('webhook');
    return row;
  };

  router.post('/webhooks', async (req, res) => {
    const { tenantId } = authOf(req);
    const body = parseBody(zippexWebhookCreateSchema, req);
    await checkWebhookTarget(body.url, config.urlPolicy);
    try {
      const { row, secret } = await createSubscription(
        db,
        box,
        { tenantId },
        { id: createdIdFor(req, 'whsub', tenantId), provider: 'zippex', url: body.url, events: body.events, description: body.description ?? null },
        config.maxSubscriptionsPerTenant,
      );
      // The secret is shown in this one answer, as Zippex does.
      res.status(201).location(`/v1/webhooks/${toZippexId(row.id)}`).json({ ...toZippexWebhook(row), secret });
    } catch (err) {
      if (!(err instanceof SubscriptionLimitReached)) throw err;
      throw new ApiError(400, 'subscription_limit_exceeded', `a tenant may have at most ${err.limit} webhook subscriptions`, { limit: err.limit });
    }
  });

  router.get('/webhooks', async (req, res) => {
    const rows = await listSubscriptions(db, { tenantId: authOf(req).tenantId });
    res.json({ data: rows.filter((r) => r.provider === 'zippex').map(toZippexWebhook) });
  });

  router.delete('/webhooks/:id', async (req, res) => {
    const sub = await loadWebhook(req);
    parseBody(emptyBody, req);
    await deleteSubscription(db, temporal, sub);
    res.json({ id: toZippexId(sub.id), deleted: true });
  });

  return router;
}
