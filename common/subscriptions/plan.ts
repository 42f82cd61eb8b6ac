/**
 * Which subscriptions an event goes to: one delivery per active subscription whose filter takes
 * the event, per name it has in that subscription's dialect. A stop's event goes to its tenant's
 * subscriptions and, when the stop is handed to a broker, to that partner's. The rows are the
 * delivery queue the workers take first tries from; they are written in the event's own statement.
 */
import type { Kysely } from 'kysely';
import type { Database, SubscriptionRow } from '../db/schema';
import { type Owner, SUBSCRIPTION_PLANS } from './plan-cache';
import { type CanonicalEvent, deliveryIdFor, deliveryNames, triesPerSeries } from '../dialects/profiles';

export interface EventToPlan {
  id: string;
  type: CanonicalEvent;
  previousStatus?: string | null;
  payload: Record<string, unknown>;
  /** The partner the stop is handed to, if any: its subscriptions get the event too. */
  brokerId?: string | null;
}

/** What planning needs of a subscription (the columns `activeOnes` reads). */
export type ActiveSubscription = Pick<SubscriptionRow, 'id' | 'provider' | 'events' | 'retry_schedule' | 'tenant_id' | 'partner_id'>;

export interface PlannedDelivery {
  id: string;
  tenant_id: string | null;
  partner_id: string | null;
  subscription_id: string;
  event_id: string;
  /** The event's name in the subscription's dialect. */
  name: string;
  max_attempts: number;
}

const activeOnes = (db: Kysely<Database>) =>
  db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'provider', 'events', 'retry_schedule', 'tenant_id', 'partner_id'])
    .where('is_active', '=', true)
    .where('deleted_at', 'is', null);

/**
 * The active subscriptions of a tenant (or just one of them), and of the given partners: from the
 * process's cache (common/subscriptions/plan-cache.ts), reading Postgres only for owners not in it.
 */
export async function activeSubscriptions(
  db: Kysely<Database>,
  tenantId: string,
  opts: { onlySubscriptionId?: string; partnerIds?: readonly (string | null | undefined)[] } = {},
): Promise<ActiveSubscription[]> {
  // A test event for one subscription, typically just created: read it, not the cache.
  if (opts.onlySubscriptionId) return activeOnes(db).where('tenant_id', '=', tenantId).where('id', '=', opts.onlySubscriptionId).execute();
  const partnerIds = [...new Set(opts.partnerIds?.filter((p): p is string => !!p) ?? [])];
  const owners: Owner[] = [{ kind: 'tenant', id: tenantId }, ...partnerIds.map((id) => ({ kind: 'partner' as const, id }))];
  return SUBSCRIPTION_PLANS.lookup(
    owners,
    (missing) => {
      const tenants = missing.filter((o) => o.kind === 'tenant').map((o) => o.id);
      const partners = missing.filter((o) => o.kind === 'partner').map((o) => o.id);
      return activeOnes(db)
        .where((eb) => eb.or([...(tenants.length ? [eb('tenant_id', 'in', tenants)] : []), ...(partners.length ? [eb('partner_id', 'in', partners)] : [])]))
        .execute();
    },
  );
}

/** The delivery rows for `events`. Pure. */
export function planDeliveries(subs: readonly ActiveSubscription[], events: readonly EventToPlan[]): PlannedDelivery[] {
  return events.flatMap((event) =>
    subs
      .filter((sub) => sub.partner_id === null || sub.partner_id === event.brokerId)
      .flatMap((sub) =>
        deliveryNames(sub.provider, { type: event.type, previous_status: event.previousStatus ?? null, payload: event.payload }, sub.events).map((name) => ({
          id: deliveryIdFor(event.id, sub.id, name),
          tenant_id: sub.tenant_id,
          partner_id: sub.partner_id,
          subscription_id: sub.id,
          event_id: event.id,
          name,
          max_attempts: triesPerSeries(sub),
        })),
      ),
  );
}
