/** Webhook subscriptions: CRUD, secret rotation, and a test event. */
import { type Request, Router } from 'express';
import { z } from 'zod';
import { sql } from 'kysely';
import { appendEvents } from '../../common/events/append';
import { subscriptionCreateSchema, subscriptionEventsSchema, subscriptionIdSchema, subscriptionPatchSchema } from '../../common/schemas/webhooks';
import { deliveryIdFor, PROFILES, type ProviderName } from '../../common/webhooks/profiles';
import { toSubscriptionResource } from '../../common/webhooks/resource';
import { sampleStop } from '../../common/webhooks/sample';
import { generateSecret, SecretBox } from '../../common/webhooks/secrets';
import { stopSubscriptionDeliveries } from '../../common/webhooks/subscription-stop';
import { checkWebhookUrl, UrlPolicyError } from '../../common/webhooks/url-policy';
import type { ApiContext } from '../context';
import { ApiError, badRequest, describeValue, notFound, validationError } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { parseBody, parseId } from '../validate';

const ROTATION_OVERLAP_HOURS = 24;

export function subscriptionRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;
  const box = new SecretBox(config.secretKey);

  const checkUrl = async (url: string): Promise<void> => {
    try {
      await checkWebhookUrl(url, config.urlPolicy);
    } catch (err) {
      if (err instanceof UrlPolicyError) throw badRequest(`url: ${err.message}`, { field: 'url', value: describeValue(url) });
      throw err;
    }
  };

  const loadSubscription = async (req: Request) => {
    const id = parseId(subscriptionIdSchema, req.params.id, 'subscription');
    const row = await db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', authOf(req).tenantId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound('subscription');
    return row;
  };

  router.post('/webhooks/subscriptions', async (req, res) => {
    const { tenantId } = authOf(req);
    const body = parseBody(subscriptionCreateSchema, req);
    await checkUrl(body.url);
    const id = createdIdFor(req, 'whsub', tenantId);
    // A keyed retry after a crash gets the subscription (and secret) its first attempt created.
    const earlier = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (earlier) {
      res.status(201).location(`/v1/webhooks/subscriptions/${earlier.id}`).json({ ...toSubscriptionResource(earlier), secret: box.open(earlier.secret_enc) });
      return;
    }
    const secret = generateSecret(body.provider);
    const row = await db.transaction().execute(async (trx) => {
      // Serialise creates per tenant so the limit holds under concurrency.
      await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().execute();
      const { n } = await trx
        .selectFrom('webhook_subscriptions')
        .select(({ fn }) => fn.countAll<string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(n) >= config.maxSubscriptionsPerTenant) {
        throw new ApiError(400, 'subscription_limit_exceeded', `a tenant may have at most ${config.maxSubscriptionsPerTenant} webhook subscriptions`, {
          limit: config.maxSubscriptionsPerTenant,
        });
      }
      return trx
        .insertInto('webhook_subscriptions')
        .values({
          id,
          tenant_id: tenantId,
          provider: body.provider,
          url: body.url,
          events: body.events,
          name: body.name ?? null,
          description: body.description ?? null,
          retry_schedule: body.retry_schedule ?? null,
          secret_enc: box.seal(secret),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    // The secret is in this one response and nowhere else in plaintext.
    res.status(201).location(`/v1/webhooks/subscriptions/${row.id}`).json({ ...toSubscriptionResource(row), secret });
  });

  router.get('/webhooks/subscriptions', async (req, res) => {
    const rows = await db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('tenant_id', '=', authOf(req).tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .execute();
    res.json({ items: rows.map(toSubscriptionResource), total: rows.length });
  });

  router.get('/webhooks/subscriptions/:id', async (req, res) => {
    res.json(toSubscriptionResource(await loadSubscription(req)));
  });

  router.patch('/webhooks/subscriptions/:id', async (req, res) => {
    const sub = await loadSubscription(req);
    const patch = parseBody(subscriptionPatchSchema, req);
    if (patch.events) {
      const check = subscriptionEventsSchema(sub.provider as ProviderName).safeParse({ events: patch.events });
      if (!check.success) throw validationError(check.error, patch);
    }
    if (patch.url) await checkUrl(patch.url);
    const changes: Record<string, unknown> = { updated_at: sql`now()` };
    for (const key of ['url', 'events', 'name', 'description', 'retry_schedule'] as const) {
      if (patch[key] !== undefined) changes[key] = patch[key];
    }
    const disabling = patch.is_active === false && sub.is_active;
    if (patch.is_active === true && !sub.is_active) {
      Object.assign(changes, { is_active: true, disabled_at: null, disabled_reason: null, consecutive_failures: 0, failing_since: null });
    } else if (disabling) {
      Object.assign(changes, { is_active: false, disabled_at: sql`now()`, disabled_reason: 'disabled by the subscriber' });
    }
    const row = await db.updateTable('webhook_subscriptions').set(changes).where('id', '=', sub.id).returningAll().executeTakeFirstOrThrow();
    if (disabling) await stopSubscriptionDeliveries(db, temporal, sub.id);
    res.json(toSubscriptionResource(row));
  });

  router.delete('/webhooks/subscriptions/:id', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    await db
      .updateTable('webhook_subscriptions')
      .set({ deleted_at: sql`now()`, is_active: false, updated_at: sql`now()` })
      .where('id', '=', sub.id)
      .execute();
    const cancelled = await stopSubscriptionDeliveries(db, temporal, sub.id);
    res.json({ id: sub.id, deleted: true, cancelled_deliveries: cancelled });
  });

  router.post('/webhooks/subscriptions/:id/rotate-secret', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    const secret = generateSecret(sub.provider as ProviderName);
    const row = await db
      .updateTable('webhook_subscriptions')
      .set({
        secret_enc: box.seal(secret),
        previous_secret_enc: sub.secret_enc,
        previous_secret_expires_at: sql`now() + make_interval(hours => ${ROTATION_OVERLAP_HOURS})`,
        secret_rotated_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', sub.id)
      .returning(['secret_rotated_at', 'previous_secret_expires_at'])
      .executeTakeFirstOrThrow();
    res.json({
      secret,
      rotated_at: new Date(row.secret_rotated_at!).toISOString(),
      previous_secret_expires_at: new Date(row.previous_secret_expires_at!).toISOString(),
    });
  });

  router.post('/webhooks/subscriptions/:id/test', async (req, res) => {
    const sub = await loadSubscription(req);
    parseBody(z.strictObject({}), req);
    if (!sub.is_active) throw badRequest('the subscription is disabled; re-enable it first', { field: 'is_active', value: false });
    const eventId = createdIdFor(req, 'evt', sub.tenant_id);
    const now = new Date().toISOString();
    // Planned for this subscription only; the outbox relay starts its delivery once committed.
    await appendEvents(db, sub.tenant_id, [{ id: eventId, type: 'test', subjectType: 'test', subjectId: sub.id, payload: sampleStop(now) }], { onlySubscriptionId: sub.id });
    const testName = PROFILES[sub.provider as ProviderName].names.test?.[0];
    res.status(202).json({
      event_id: eventId,
      delivery_id: testName ? deliveryIdFor(eventId, sub.id, testName) : null,
      status: 'pending',
    });
  });

  return router;
}
