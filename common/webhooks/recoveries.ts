/**
 * Recoveries and replays, as stored: created with the deliveries that answer them (a snapshot,
 * in event order), and their progress read from those deliveries' states.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { SubscriptionRow } from '../db/schema';
import { iso } from '../iso';
import type { RecoveryResource } from '../schemas/recoveries';
import { planDeliveries } from './plan';

export interface NewRecovery {
  id: string;
  kind: 'recover' | 'replay';
  since?: string | null;
  until?: string | null;
  /** For a replay: the events chosen (else every event since `since`). */
  eventIds?: readonly string[];
}

/**
 * Creates the recovery and its items in one transaction; a replay first creates the delivery
 * rows its events lack (events from before the subscription existed: never sent, so stored as
 * `cancelled` until the replay hands them to the queue). A recovery with this id that exists
 * already (a keyed retry) is left as it is.
 */
export async function createRecovery(db: Db, sub: SubscriptionRow & { tenant_id: string }, r: NewRecovery): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('webhook_recoveries')
      .values({ id: r.id, tenant_id: sub.tenant_id, subscription_id: sub.id, kind: r.kind, since: r.since ?? null, until: r.until ?? null, status: 'running', total: 0 })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    if (r.kind === 'replay') {
      let events = trx.selectFrom('events').select(['id', 'type', 'previous_status', 'payload']).where('tenant_id', '=', sub.tenant_id);
      events = r.eventIds ? events.where('id', 'in', r.eventIds) : events.where('created_at', '>=', new Date(r.since!));
      const rows = await events.orderBy('position').limit(10_000).execute();
      // The names this subscription would have had each event under (its filter, its dialect).
      const planned = planDeliveries([{ ...sub, partner_id: null }], rows.map((e) => ({ id: e.id, type: e.type, previousStatus: e.previous_status, payload: e.payload })));
      if (planned.length) {
        await sql`
          insert into webhook_deliveries (id, tenant_id, partner_id, subscription_id, event_id, event_type, status, max_attempts, next_retry_at)
          select d.id, d.tenant_id, d.partner_id, d.subscription_id, d.event_id, d.event_type, 'cancelled', d.max_attempts, null
          from jsonb_populate_recordset(null::webhook_deliveries, ${JSON.stringify(planned)}::jsonb) d
          on conflict (id) do nothing`.execute(trx);
      }
    }
    // The deliveries that answer it, in the order their events happened.
    let items = trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'e.position'])
      .where('d.subscription_id', '=', sub.id);
    if (r.kind === 'recover') {
      items = items.where('d.status', '=', 'failed').where('d.failed_at', '>=', new Date(r.since!));
      if (r.until) items = items.where('d.failed_at', '<', new Date(r.until));
    } else {
      items = r.eventIds ? items.where('d.event_id', 'in', r.eventIds) : items.where('e.created_at', '>=', new Date(r.since!));
    }
    const chosen = await items.orderBy('e.position').orderBy('d.id').execute();
    if (chosen.length) {
      await trx
        .insertInto('webhook_recovery_items')
        .values(chosen.map((c) => ({ recovery_id: r.id, delivery_id: c.id, position: c.position })))
        .execute();
    }
    await trx.updateTable('webhook_recoveries').set({ total: chosen.length }).where('id', '=', r.id).execute();
  });
}

/** The recovery with its progress, or undefined (also for another tenant's). */
export async function loadRecovery(db: Db, tenantId: string, id: string): Promise<RecoveryResource | undefined> {
  const row = await db.selectFrom('webhook_recoveries').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return undefined;
  // Progress: one pass over its items and their deliveries' states since they were handed over.
  const counts = await db
    .selectFrom('webhook_recovery_items as i')
    .innerJoin('webhook_deliveries as d', 'd.id', 'i.delivery_id')
    .select([
      sql<string>`count(*) filter (where i.requeued_at is null)`.as('queued'),
      sql<string>`count(*) filter (where d.last_attempted_at >= i.requeued_at)`.as('sent'),
      sql<string>`count(*) filter (where d.status = 'succeeded' and d.delivered_at >= i.requeued_at)`.as('succeeded'),
      sql<string>`count(*) filter (where d.status = 'failed' and d.failed_at >= i.requeued_at)`.as('failed'),
    ])
    .where('i.recovery_id', '=', id)
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    kind: row.kind,
    status: row.status,
    since: iso(row.since),
    until: iso(row.until),
    total: row.total,
    queued: Number(counts.queued),
    sent: Number(counts.sent),
    succeeded: Number(counts.succeeded),
    failed: Number(counts.failed),
    created_at: iso(row.created_at),
    finished_at: iso(row.finished_at),
  };
}
