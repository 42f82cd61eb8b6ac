/**
 * Which subscriptions an event goes to. Decided inside the event's own transaction, so an event
 * is delivered to exactly the subscriptions that were active when it happened; the rows are the
 * delivery queue the workers take first tries from.
 */
import { type InsertObject, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { type CanonicalEvent, deliveryIdFor, deliveryNames, type ProviderName, retryDelaysOf } from './profiles';

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
): Promise<InsertObject<Database, 'webhook_deliveries'>[]> {
  let subsQuery = trx
    .selectFrom('webhook_subscriptions')
    .select(['id', 'provider', 'events', 'retry_schedule'])
    .where('tenant_id', '=', tenantId)
    .where('is_active', '=', true)
    .where('deleted_at', 'is', null);
  if (onlySubscriptionId) subsQuery = subsQuery.where('id', '=', onlySubscriptionId);
  const subs = await subsQuery.execute();
  if (subs.length === 0) return [];
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
          // Due at once, by the database's clock (the one the workers' queue reads).
          next_retry_at: sql<Date>`now()`,
        }),
      ),
    ),
  );
}
