/**
 * A partner's polled events: one row per event of its trips and Naveera name, numbered in commit
 * order per partner (common/events/append.ts), each with the envelope its webhooks carry and the
 * same `event_id`, so a broker can deduplicate across webhooks and polling.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import { iso } from '../iso';
import { NAVEERA_API_VERSION, PROFILES } from '../dialects/profiles';

export interface FeedQuery {
  since?: Date;
  eventType?: string;
  /** Only items after this one (an item's `id`). */
  after?: number;
  limit: number;
}

export async function readPartnerEvents(db: Db, partnerId: string, q: FeedQuery) {
  let query = db
    .selectFrom('partner_events as f')
    .innerJoin('events as e', 'e.id', 'f.event_id')
    .where('f.partner_id', '=', partnerId)
    .where('e.expires_at', '>', sql<Date>`now()`);
  if (q.after !== undefined) query = query.where('f.position', '>', String(q.after));
  // Compared at the millisecond precision clients see in created_at.
  if (q.since) query = query.where(sql`date_trunc('milliseconds', e.created_at)`, '>', q.since);
  if (q.eventType) query = query.where('f.name', '=', q.eventType);
  const [rows, count] = await Promise.all([
    query
      .leftJoin('stops as st', 'st.id', 'e.subject_id')
      .select(['f.position', 'f.name', 'f.message_id', 'e.id', 'e.type', 'e.created_at', 'e.expires_at', 'e.subject_id', 'e.previous_status', 'e.payload', 'st.trip_id'])
      .orderBy('f.position')
      .limit(q.limit + 1)
      .execute(),
    query.select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const items = rows.slice(0, q.limit).map((r) => {
    const tripId = r.trip_id === null ? null : Number(r.trip_id);
    const payload = PROFILES.naveera.envelope({
      event: { id: r.id, type: r.type, created_at: iso(r.created_at), subject_id: r.subject_id, previous_status: r.previous_status, payload: r.payload, trip_id: tripId },
      name: r.name,
      messageId: r.message_id,
    });
    return {
      id: Number(r.position),
      event_id: r.message_id,
      partner_id: partnerId,
      event_type: r.name,
      api_version: NAVEERA_API_VERSION,
      trip_id: tripId,
      broker_trip_id: (r.payload as { broker_trip_id?: string | null }).broker_trip_id ?? null,
      payload,
      created_at: iso(r.created_at),
      expires_at: iso(r.expires_at),
    };
  });
  const last = items[items.length - 1];
  return { items, total: Number(count.n), has_more: rows.length > q.limit, next_cursor: last ? last.id : (q.after ?? null) };
}
