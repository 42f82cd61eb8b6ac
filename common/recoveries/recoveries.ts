/**
 * Recoveries and replays, as stored: created with the deliveries that answer them (a snapshot,
 * in event order), and their progress read from those deliveries' states.
 */
import { sql } from 'kysely';
import type { QuotaLimits } from '../config';
import type { Db } from '../db/connect';
import { racedConstraint } from '../db/errors';
import { queuePlaceholders } from '../deliveries/moves';
import type { SubscriptionRow } from '../db/schema';
import { iso } from '../iso';
import { lockTenantFor, QuotaExceededError, recoveriesInFlight, tenantQuotas } from '../quotas';
import type { RecoveryResource } from '../schemas/recoveries';
import { planDeliveries } from '../subscriptions/plan';

export interface NewRecovery {
  id: string;
  kind: 'recover' | 'replay';
  since?: string | null;
  until?: string | null;
  /** For a replay: the events chosen (else every event since `since`). */
  eventIds?: readonly string[];
}

/** A subscription has a recovery or replay running already (one at a time per subscription). */
export class RecoveryRunningError extends Error {
  constructor(
    readonly subscriptionId: string,
    readonly runningId: string,
  ) {
    super(`subscription ${subscriptionId} has a recovery running (${runningId}); wait for it to finish or cancel it first`);
  }
}

/** The unique index that keeps one running recovery per subscription (migration 0014). */
const ONE_RUNNING = 'webhook_recoveries_one_running_idx';

const runningOn = (db: Db, subscriptionId: string) =>
  db.selectFrom('webhook_recoveries').select('id').where('subscription_id', '=', subscriptionId).where('status', '=', 'running').executeTakeFirst();

/**
 * Creates the recovery and its items in one transaction; a replay first creates the delivery
 * rows its events lack (events from before the subscription existed: never sent, so stored as
 * `cancelled` until the replay hands them to the queue). A recovery with this id that exists
 * already (a keyed retry) is left as it is. Refused, writing nothing, when the subscription has
 * one running (RecoveryRunningError) or the tenant has its quota running (QuotaExceededError).
 */
export async function createRecovery(db: Db, sub: SubscriptionRow & { tenant_id: string }, r: NewRecovery, quotaDefaults: QuotaLimits): Promise<void> {
  try {
    await insertRecovery(db, sub, r, quotaDefaults);
  } catch (err) {
    // Two at once on one subscription, past the checks: the index let one through.
    if (racedConstraint(err) !== ONE_RUNNING) throw err;
    const running = await runningOn(db, sub.id);
    throw new RecoveryRunningError(sub.id, running?.id ?? 'unknown');
  }
}

async function insertRecovery(db: Db, sub: SubscriptionRow & { tenant_id: string }, r: NewRecovery, quotaDefaults: QuotaLimits): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // A tenant's recoveries are created one at a time, so the count below cannot race.
    await lockTenantFor(trx, 'recoveries', sub.tenant_id);
    if (await trx.selectFrom('webhook_recoveries').select('id').where('id', '=', r.id).executeTakeFirst()) return;
    const running = await runningOn(trx, sub.id);
    if (running) throw new RecoveryRunningError(sub.id, running.id);
    const { limits } = await tenantQuotas(trx, quotaDefaults, sub.tenant_id);
    const used = await recoveriesInFlight(trx, sub.tenant_id);
    if (used >= limits.recoveries_in_flight) throw new QuotaExceededError('recoveries_in_flight', limits.recoveries_in_flight, used, 1);
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
      await queuePlaceholders(trx, planned);
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

/** Ends a running recovery (an ended one stays as it ended). */
export async function finishRecovery(db: Db, id: string, status: 'completed' | 'cancelled'): Promise<void> {
  await db.updateTable('webhook_recoveries').set({ status, finished_at: sql`now()` }).where('id', '=', id).where('status', '=', 'running').execute();
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
