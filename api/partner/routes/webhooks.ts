/**
 * A partner's webhooks: subscriptions (naveera dialect; they receive the events of the partner's
 * trips from every tenant), deliveries known by integer ids, manual retry, and events polling.
 * The rules are the same store's as the /v1 API's (common/subscriptions/subscriptions.ts).
 */
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { DeliveryRow, EventRow, SubscriptionRow } from '../../../common/db/schema';
import { iso } from '../../../common/iso';
import { readPartnerEvents } from '../../../common/partners/event-feed';
import {
  deliveryNumberParam,
  type PartnerDelivery,
  partnerDeliveryListQuerySchema,
  partnerEventsQuerySchema,
  type PartnerSubscription,
  partnerSubscriptionCreateSchema,
  partnerSubscriptionPatchSchema,
  uuidParam,
} from '../../../common/schemas/partner';
import { retryFailedDelivery } from '../../../common/deliveries/manual-retry';
import { messageIdFor } from '../../../common/dialects/profiles';
import { toSubscriptionResource } from '../../../common/subscriptions/resource';
import { SecretBox } from '../../../common/subscriptions/secrets';
import {
  createSubscription,
  deleteSubscription,
  findSubscription,
  listSubscriptions,
  rotateSubscriptionSecret,
  SubscriptionLimitReached,
  updateSubscription,
} from '../../../common/subscriptions/subscriptions';
import type { ApiContext } from '../../context';
import { ApiError } from '../../errors';
import { createdUuidFor } from '../../middleware/idempotency';
import { checkWebhookTarget } from '../../webhook-target';
import { partnerOf } from '../auth';
import { partnerBody, partnerParam, partnerQuery } from '../errors';
import { PARTNER_DIALECT } from '../../../common/partners/dialect';

const emptyBody = z.strictObject({});

/** The /v1 resource without what brokers do not choose (dialect, schedule), owned by the partner. */
function toPartnerSubscription(row: SubscriptionRow): PartnerSubscription {
  const { provider: _provider, retry_schedule: _schedule, secret_rotated_at: _rotated, ...shared } = toSubscriptionResource(row);
  return { ...shared, partner_id: row.partner_id! };
}

export function partnerWebhookRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;
  const box = new SecretBox(config.secretKey);
  const owner = (req: Request) => ({ partnerId: partnerOf(req).partnerId });

  const loadSubscription = async (req: Request): Promise<SubscriptionRow> => {
    const id = partnerParam(uuidParam, req, 'subscription_id');
    const row = await findSubscription(db, owner(req), id.toLowerCase());
    if (!row) throw new ApiError(404, 'not_found', `Subscription with id ${id} not found`);
    return row;
  };

  /** The partner's deliveries, each with the id its receiver saw (`event_id`, as in polling). */
  const deliveries = (req: Request) =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .where('d.partner_id', '=', partnerOf(req).partnerId);

  const toPartnerDelivery = (r: DeliveryRow & Pick<EventRow, 'type'> & Pick<SubscriptionRow, 'provider'>): PartnerDelivery => ({
    id: Number(r.number),
    subscription_id: r.subscription_id,
    event_id: messageIdFor(r.provider, r.type, r.event_id, r.name),
    status: r.status,
    attempt_count: r.attempt_count,
    max_attempts: r.max_attempts,
    next_retry_at: iso(r.next_retry_at),
    response_status: r.response_status,
    response_time_ms: r.response_time_ms,
    error_message: r.error_message,
    created_at: iso(r.created_at),
    first_attempted_at: iso(r.first_attempted_at),
    last_attempted_at: iso(r.last_attempted_at),
    delivered_at: iso(r.delivered_at),
    failed_at: iso(r.failed_at),
  });

  router.get('/webhooks/subscriptions', async (req, res) => {
    const rows = await listSubscriptions(db, owner(req));
    res.json({ items: rows.map(toPartnerSubscription), total: rows.length });
  });

  router.post('/webhooks/subscriptions', async (req, res) => {
    const body = partnerBody(partnerSubscriptionCreateSchema, req);
    await checkWebhookTarget(body.url, config.urlPolicy);
    const { partnerId } = partnerOf(req);
    try {
      const { row, secret } = await createSubscription(
        db,
        box,
        { partnerId },
        { id: createdUuidFor(req, partnerId), provider: PARTNER_DIALECT, url: body.url, events: body.events, name: body.name, description: body.description },
        config.maxSubscriptionsPerTenant,
      );
      res.status(201).json({ ...toPartnerSubscription(row), secret });
    } catch (err) {
      if (!(err instanceof SubscriptionLimitReached)) throw err;
      throw new ApiError(400, 'subscription_limit_exceeded', `A partner may have at most ${err.limit} webhook subscriptions`, { limit: err.limit });
    }
  });

  router.get('/webhooks/subscriptions/:subscription_id', async (req, res) => {
    res.json(toPartnerSubscription(await loadSubscription(req)));
  });

  router.patch('/webhooks/subscriptions/:subscription_id', async (req, res) => {
    const sub = await loadSubscription(req);
    const patch = partnerBody(partnerSubscriptionPatchSchema, req);
    if (patch.url) await checkWebhookTarget(patch.url, config.urlPolicy);
    // null leaves url, events and is_active as they are; it clears name and description.
    const row = await updateSubscription(db, temporal, sub, {
      url: patch.url ?? undefined,
      events: patch.events ?? undefined,
      is_active: patch.is_active ?? undefined,
      name: patch.name,
      description: patch.description,
    });
    res.json(toPartnerSubscription(row));
  });

  router.delete('/webhooks/subscriptions/:subscription_id', async (req, res) => {
    const sub = await loadSubscription(req);
    partnerBody(emptyBody, req);
    await deleteSubscription(db, temporal, sub);
    res.status(204).end();
  });

  router.post('/webhooks/subscriptions/:subscription_id/rotate-secret', async (req, res) => {
    const sub = await loadSubscription(req);
    partnerBody(emptyBody, req);
    const rotated = await rotateSubscriptionSecret(db, box, sub);
    res.json({ secret: rotated.secret, rotated_at: rotated.rotatedAt.toISOString() });
  });

  router.get('/webhooks/deliveries', async (req, res) => {
    const q = partnerQuery(partnerDeliveryListQuerySchema, req);
    let query = deliveries(req);
    if (q.subscription_id) query = query.where('d.subscription_id', '=', q.subscription_id.toLowerCase());
    if (q.event_type) query = query.where('d.name', '=', q.event_type);
    if (q.status) query = query.where('d.status', '=', q.status);
    const [rows, count] = await Promise.all([
      query.selectAll('d').select(['e.type', 's.provider']).orderBy('d.number', 'desc').limit(q.page_size).offset((q.page - 1) * q.page_size).execute(),
      query.select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const total = Number(count.n);
    res.json({ items: rows.map(toPartnerDelivery), total, page: q.page, page_size: q.page_size, has_more: q.page * q.page_size < total });
  });

  router.get('/webhooks/deliveries/:delivery_id', async (req, res) => {
    const number = partnerParam(deliveryNumberParam, req, 'delivery_id');
    const row = await deliveries(req).selectAll('d').select(['e.type', 's.provider']).where('d.number', '=', number).executeTakeFirst();
    if (!row) throw new ApiError(404, 'not_found', `Delivery with id ${number} not found`);
    res.json(toPartnerDelivery(row));
  });

  router.post('/webhooks/deliveries/:delivery_id/retry', async (req, res) => {
    const number = partnerParam(deliveryNumberParam, req, 'delivery_id');
    partnerBody(emptyBody, req);
    const retry = await retryFailedDelivery(db, owner(req), { number });
    if (retry.outcome === 'not_found') throw new ApiError(404, 'not_found', `Delivery with id ${number} not found`);
    if (retry.outcome !== 'scheduled') {
      const why = retry.outcome === 'not_failed' ? `Delivery is ${retry.status}; only a failed delivery can be retried` : 'The subscription is disabled; re-enable it first';
      throw new ApiError(400, 'delivery_not_retryable', why, { status: retry.status });
    }
    const row = await deliveries(req).selectAll('d').select(['e.type', 's.provider']).where('d.id', '=', retry.delivery.id).executeTakeFirstOrThrow();
    res.json({ delivery_id: Number(row.number), event_id: toPartnerDelivery(row).event_id, status: 'retrying', next_retry_at: iso(retry.delivery.next_retry_at), message: 'Retry scheduled' });
  });

  router.get('/webhooks/events', async (req, res) => {
    const q = partnerQuery(partnerEventsQuerySchema, req);
    res.json(await readPartnerEvents(db, partnerOf(req).partnerId, { since: q.since, eventType: q.event_type, after: q.after, limit: q.limit }));
  });

  return router;
}
