/** Webhook subscriptions: CRUD, secret rotation, and a test event. */
import { type Request, Router } from 'express';
import { z } from 'zod';
import { appendEvents } from '../../common/events/append';
import { subscriptionCreateSchema, subscriptionEventsSchema, subscriptionIdSchema, subscriptionPatchSchema } from '../../common/schemas/webhooks';
import { deliveryIdFor, PROFILES } from '../../common/dialects/profiles';
import { toSubscriptionResource } from '../../common/subscriptions/resource';
import { sampleStop } from '../../common/dialects/sample';
import { SecretBox } from '../../common/subscriptions/secrets';
import {
  createSubscription,
  deleteSubscription,
  findSubscription,
  listSubscriptions,
  rotateSubscriptionSecret,
  SubscriptionLimitReached,
  updateSubscription,
} from '../../common/subscriptions/subscriptions';
import type { ApiContext } from '../context';
import { ApiError, conflict, notFound, validationError } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { parseBody, parseId } from '../validate';
import { checkWebhookTarget } from '../webhook-target';

export function subscriptionRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;
  const box = new SecretBox(config.secretKey);

  const loadSubscription = async (req: Request) => {
    const id = parseId(subscriptionIdSchema, req.params.id, 'subscription');
    const row = await findSubscription(db, { tenantId: authOf(req).tenantId }, id);
    if (!row) throw notFound('subscription');
    return row;
  };

  router.post('/webhooks/subscriptions', async (req, res) => {
    const { tenantId } = authOf(req);
    const body = parseBody(subscriptionCreateSchema, req);
    await checkWebhookTarget(body.url, config.urlPolicy);
    try {
      // A keyed retry after a crash gets the subscription (and secret) its first attempt created.
      const { row, secret } = await createSubscription(db, box, { tenantId }, { ...body, id: createdIdFor(req, 'whsub', tenantId) }, config.maxSubscriptionsPerTenant);
      // The secret is in this one response and nowhere else in plaintext.
      res.status(201).location(`/v1/webhooks/subscriptions/${row.id}`).json({ ...toSubscriptionResource(row), secret });
    } catch (err) {
      if (!(err instanceof SubscriptionLimitReached)) throw err;
      throw new ApiError(400, 'subscription_limit_exceeded', `a tenant may have at most ${err.limit} webhook subscriptions`, { limit: err.limit });
    }
  });

  router.get('/webhooks/subscriptions', async (req, res) => {
    const rows = await listSubscriptions(db, { tenantId: authOf(req).tenantId });
    res.json({ items: rows.map(toSubscriptionResource), total: rows.length });
  });

  router.get('/webhooks/subscriptions/:id', async (req, res) => {
    res.json(toSubscriptionResource(await loadSubscription(req)));
  });

  router.patch('/webhooks/subscriptions/:id', async (req, res) => {
    const sub = await loadSubscription(req);
    const patch = parseBody(subscriptionPatchSchema, req);
    if (patch.events) {
      const check = subscriptionEventsSchema(sub.provider).safeParse({ events: patch.events });
      if (!check.success) throw validationError(check.error, patch);
    }
    if (patch.url) await checkWebhookTarget(patch.url, config.urlPolicy);
    res.json(toSubscriptionResource(await updateSubscription(db, temporal, sub, patch)));
  });

  router.delete('/webhooks/subscriptions/:id', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    const cancelled = await deleteSubscription(db, temporal, sub);
    res.json({ id: sub.id, deleted: true, cancelled_deliveries: cancelled });
  });

  router.post('/webhooks/subscriptions/:id/rotate-secret', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    const rotated = await rotateSubscriptionSecret(db, box, sub);
    res.json({ secret: rotated.secret, rotated_at: rotated.rotatedAt.toISOString(), previous_secret_expires_at: rotated.previousExpiresAt?.toISOString() ?? null });
  });

  router.post('/webhooks/subscriptions/:id/test', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    if (!sub.is_active) throw conflict('the subscription is disabled; re-enable it first (PATCH is_active: true)', { reason: 'subscription_disabled', is_active: false });
    const { tenantId } = authOf(req);
    const eventId = createdIdFor(req, 'evt', tenantId);
    const now = new Date().toISOString();
    // Queued for this subscription only.
    await appendEvents(db, tenantId, [{ id: eventId, type: 'test', subjectType: 'test', subjectId: sub.id, payload: sampleStop(now) }], { onlySubscriptionId: sub.id });
    const testName = PROFILES[sub.provider].names.test?.[0];
    res.status(202).json({
      event_id: eventId,
      delivery_id: testName ? deliveryIdFor(eventId, sub.id, testName) : null,
      status: 'pending',
    });
  });

  return router;
}
