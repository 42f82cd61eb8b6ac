/**
 * Which subscriptions an event goes to: one delivery per active subscription whose filter takes
 * the event, per name it has in that subscription's dialect. The rows are the delivery queue the
 * workers take first tries from; they are written in the event's own statement.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { type CanonicalEvent, deliveryIdFor, deliveryNames, type ProviderName, retryDelaysOf } from './profiles';

export interface EventToPlan {
  id: string;
  type: string;
  previousStatus?: string | null;
  payload: Record<string, unknown>;
}

export interface ActiveSubscription {
  id: string;
  provider: string;
  events: string[];
  retry_schedule: number[] | null;
}

export interface PlannedDelivery {
  id: string;
  tenant_id: string;
  subscription_id: string;
  event_id: string;
  /** The event's name in the subscription's dialect. */
  event_type: string;
  max_attempts: number;
}

/** The tenant's active subscriptions (or just one of them). */
export function activeSubscriptions(db: Kysely<Database>, tenantId: string, onlySubscriptionId?: string): Promise<ActiveSubscription[]> {
  let query = db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'provider', 'events', 'retry_schedule'])
    .where('tenant_id', '=', tenantId)
    .where('is_active', '=', true)
    .where('deleted_at', 'is', null);
  if (onlySubscriptionId) query = query.where('id', '=', onlySubscriptionId);
  return query.execute();
}

/** The delivery rows for `events`. Pure. */
export function planDeliveries(tenantId: string, subs: readonly ActiveSubscription[], events: readonly EventToPlan[]): PlannedDelivery[] {
  return events.flatMap((event) =>
    subs.flatMap((sub) =>
      deliveryNames(sub.provider as ProviderName, { type: event.type as CanonicalEvent, previous_status: event.previousStatus ?? null, payload: event.payload }, sub.events).map((name) => ({
        id: deliveryIdFor(event.id, sub.id, name),
        tenant_id: tenantId,
        subscription_id: sub.id,
        event_id: event.id,
        event_type: name,
        max_attempts: retryDelaysOf(sub).length + 1,
      })),
    ),
  );
}
