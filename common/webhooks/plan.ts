/**
 * Which subscriptions an event goes to. Decided inside the event's own transaction, so an event
 * is delivered to exactly the subscriptions that were active when it happened, and an event
 * nobody subscribed to needs no delivery workflow at all.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../db/schema';
import { type CanonicalEvent, deliveryIdFor, deliveryNames, type ProviderName, retryDelaysOf } from './profiles';

/** One delivery as its workflow runs it. */
export interface PlannedDelivery {
  deliveryId: string;
  subscriptionId: string;
  provider: ProviderName;
  name: string;
  /** Tries already made before this series. */
  attemptsMade: number;
  maxAttempts: number;
  delaysSeconds: number[];
}

export interface EventToPlan {
  id: string;
  type: string;
  previousStatus?: string | null;
  payload: Record<string, unknown>;
}

/** The delivery rows for `events`: one per active matching subscription and dialect name. */
export async function deliveriesFor(
  trx: Transaction<Database>,
  tenantId: string,
  events: readonly EventToPlan[],
  onlySubscriptionId?: string,
): Promise<Insertable<WebhookDeliveriesTable>[]> {
  let subsQuery = trx
    .selectFrom('webhook_subscriptions')
    .select(['id', 'provider', 'events', 'retry_schedule'])
    .where('tenant_id', '=', tenantId)
    .where('is_active', '=', true)
    .where('deleted_at', 'is', null);
  if (onlySubscriptionId) subsQuery = subsQuery.where('id', '=', onlySubscriptionId);
  const subs = await subsQuery.execute();
  if (subs.length === 0) return [];
  const now = new Date();
  return events.flatMap((event) =>
    subs.flatMap((sub) =>
      deliveryNames(sub.provider as ProviderName, { type: event.type as CanonicalEvent, previous_status: event.previousStatus ?? null, payload: event.payload }, sub.events).map(
        (name) => ({
          id: deliveryIdFor(event.id, sub.id, name),
          tenant_id: tenantId,
          subscription_id: sub.id,
          event_id: event.id,
          event_type: name,
          status: 'pending' as const,
          max_attempts: retryDelaysOf(sub).length + 1,
          next_retry_at: now,
        }),
      ),
    ),
  );
}

/** Deliveries that still have tries to make, with their schedules: by delivery id or by event. */
export async function openDeliveries(
  db: Kysely<Database>,
  where: { deliveryIds: readonly string[] } | { eventIds: readonly string[] },
): Promise<(PlannedDelivery & { eventId: string })[]> {
  const ids = 'deliveryIds' in where ? where.deliveryIds : where.eventIds;
  if (ids.length === 0) return [];
  const open = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select(['d.id', 'd.event_id', 'd.subscription_id', 'd.event_type', 'd.attempt_count', 'd.max_attempts', 's.provider', 's.retry_schedule'])
    .where('deliveryIds' in where ? 'd.id' : 'd.event_id', 'in', ids)
    .where('d.status', 'in', ['pending', 'retrying'])
    .orderBy('d.id')
    .execute();
  return open.map((d) => ({
    deliveryId: d.id,
    eventId: d.event_id,
    subscriptionId: d.subscription_id,
    provider: d.provider as ProviderName,
    name: d.event_type,
    attemptsMade: d.attempt_count,
    maxAttempts: d.max_attempts,
    delaysSeconds: retryDelaysOf(d),
  }));
}
