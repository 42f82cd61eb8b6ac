/**
 * Writing events with their deliveries, as part of ONE statement with the change they record:
 * the change is a CTE named `changed` (the inserted or updated rows); if it wrote nothing, no
 * event, position or delivery is written either. One statement is one round trip and atomic;
 * on this kind of machine round trips, not rows, are what a write costs.
 *
 * Positions come from the tenant's counter row, taken in that statement, so the row lock is held
 * only until commit: positions follow commit order, which is what lets a polling cursor never
 * skip an event.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema';
import { deliveryNames, messageIdFor } from '../dialects/profiles';
import { activeSubscriptions, type EventToPlan, planDeliveries, type PlannedDelivery } from '../subscriptions/plan';
import { queueDeliveries } from '../deliveries/moves';
import { CHANNELS } from './notify';
import { PARTNER_DIALECT } from '../partners/dialect';

export const EVENT_RETENTION_DAYS = 7;

export interface NewEvent extends EventToPlan {
  subjectType: 'stop' | 'driver' | 'route' | 'test';
  subjectId: string;
  sequence?: number;
}

/**
 * A partner's feed rows for events of its trips: one per Naveera name of the event (the names
 * its webhooks carry too, with the same message ids), numbered 1… per partner.
 */
function partnerFeed(events: readonly NewEvent[]): { partner_id: string; ordinal: number; event_id: string; name: string; message_id: string }[] {
  const next = new Map<string, number>();
  return events.flatMap((e) => {
    if (!e.brokerId) return [];
    return deliveryNames(PARTNER_DIALECT, { type: e.type, previous_status: e.previousStatus ?? null, payload: e.payload }, []).map((name) => {
      const ordinal = (next.get(e.brokerId!) ?? 0) + 1;
      next.set(e.brokerId!, ordinal);
      return { partner_id: e.brokerId!, ordinal, event_id: e.id, name, message_id: messageIdFor(PARTNER_DIALECT, e.type, e.id, name) };
    });
  });
}

/**
 * The CTEs after `changed` that write `events`, their deliveries, and brokers' feed rows (rows
 * are passed as one JSON parameter each and read back through the tables' own row types).
 */
export function eventWrites(tenantId: string, events: readonly NewEvent[], deliveries: readonly PlannedDelivery[]): RawBuilder<unknown> {
  const feed = partnerFeed(events);
  const rows = events.map((e, i) => ({
    id: e.id,
    tenant_id: tenantId,
    position: i + 1,
    type: e.type,
    subject_type: e.subjectType,
    subject_id: e.subjectId,
    sequence: e.sequence ?? null,
    previous_status: e.previousStatus ?? null,
    payload: e.payload,
  }));
  return sql`
    event_base as (
      update tenants set event_position = event_position + ${events.length}
      where id = ${tenantId} and exists (select 1 from changed)
      returning event_position - ${events.length} as base
    ),
    new_events as (
      insert into events (id, tenant_id, position, type, subject_type, subject_id, sequence, previous_status, payload, expires_at)
      select e.id, e.tenant_id, event_base.base + e.position, e.type, e.subject_type, e.subject_id, e.sequence, e.previous_status, e.payload,
        now() + make_interval(days => ${EVENT_RETENTION_DAYS})
      from jsonb_populate_recordset(null::events, ${JSON.stringify(rows)}::jsonb) e, event_base
      on conflict (id) do nothing
    ),
    new_deliveries as (${queueDeliveries(deliveries)}
    )${feed.length ? partnerFeedWrites(feed) : sql``}`;
}

/** Each partner's positions, taken like the tenant's (commit order per partner), and its feed rows. */
const partnerFeedWrites = (feed: ReturnType<typeof partnerFeed>): RawBuilder<unknown> => sql`,
    feed as (
      select * from jsonb_to_recordset(${JSON.stringify(feed)}::jsonb) as f(partner_id uuid, ordinal int, event_id text, name text, message_id text)
    ),
    partner_base as (
      update partners p set event_position = p.event_position + n.n
      from (select partner_id, count(*) as n from feed group by partner_id) n
      where p.id = n.partner_id and exists (select 1 from changed)
      returning p.id, p.event_position - n.n as base
    ),
    new_partner_events as (
      insert into partner_events (partner_id, position, event_id, name, message_id)
      select f.partner_id, b.base + f.ordinal, f.event_id, f.name, f.message_id
      from feed f join partner_base b on b.id = f.partner_id
    )`;

/** Wakes the workers' delivery queue at commit, when deliveries were queued. */
export const notifyIfQueued = (deliveries: readonly unknown[]): RawBuilder<unknown> =>
  deliveries.length ? sql`, pg_notify(${CHANNELS.deliveries}, '')` : sql``;

/**
 * Events that record no row change of their own (a driver going online, a test event), with
 * their deliveries, in one statement. Returns how many deliveries were queued.
 */
export async function appendEvents(db: Kysely<Database>, tenantId: string, events: readonly NewEvent[], opts: { onlySubscriptionId?: string } = {}): Promise<number> {
  if (events.length === 0) return 0;
  const deliveries = planDeliveries(await activeSubscriptions(db, tenantId, { onlySubscriptionId: opts.onlySubscriptionId }), events);
  await sql`with changed as (select 1), ${eventWrites(tenantId, events, deliveries)} select 1 ${notifyIfQueued(deliveries)}`.execute(db);
  return deliveries.length;
}
