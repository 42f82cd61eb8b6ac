/**
 * A webhook delivery's statuses, the moves allowed between them, and the only code that writes
 * `webhook_deliveries` (a lint rule keeps it so). Everything that changes a delivery, from the
 * event that queues it to the worker that records its last try, goes through one of the
 * functions below, and each one moves only deliveries in a status its move starts from.
 *
 *   queued ─► pending ──lease──► pending ──record──► succeeded | retrying | failed
 *                ▲                                                  │         │
 *                └───────────── requeueDue (its timer) ◄────────────┘         │
 *                └───────────── manualRetry / resend ◄────────────────────────┘ (resend: any finished)
 *   pending | retrying ──cancel──► cancelled      (replay placeholder: queued as cancelled)
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/connect';
import type { DeliveryStatus } from '../db/schema';
import { CHANNELS, notify } from '../events/notify';
import type { PlannedDelivery } from '../subscriptions/plan';
import { type CanonicalEvent, PROFILES, PROVIDERS, type ProviderName } from '../dialects/profiles';

type Move = { readonly from: readonly DeliveryStatus[]; readonly to: readonly DeliveryStatus[] };

/** Every move a delivery can make: the statuses it may start from and those it may end in. */
export const DELIVERY_MOVES = {
  /** A new event's delivery, due now. */
  queue: { from: [], to: ['pending'] },
  /** A replayed event the subscription never had: a row to hand over, sent only by the replay. */
  placeholder: { from: [], to: ['cancelled'] },
  /** A worker takes a due delivery for the length of one try. */
  lease: { from: ['pending'], to: ['pending'] },
  /** A try's outcome. */
  record: { from: ['pending'], to: ['succeeded', 'retrying', 'failed'] },
  /** The subscription's retry timer puts a waiting delivery back on the queue at its due time. */
  requeueDue: { from: ['retrying'], to: ['pending'] },
  /** A subscriber retries one failed delivery. */
  manualRetry: { from: ['failed'], to: ['pending'] },
  /** A recovery or replay sends finished deliveries again (one still on its way is left to it). */
  resend: { from: ['failed', 'succeeded', 'cancelled'], to: ['pending'] },
  /** The subscription was disabled or deleted: what it still had to send stops. */
  cancel: { from: ['pending', 'retrying'], to: ['cancelled'] },
} as const satisfies Record<string, Move>;

export type DeliveryMove = keyof typeof DELIVERY_MOVES;

/** Whether some move takes a delivery from `from` to `to`. Pure. */
export const canMove = (from: DeliveryStatus, to: DeliveryStatus): boolean =>
  Object.values(DELIVERY_MOVES).some((m: Move) => m.from.includes(from) && m.to.includes(to));

const fromStatuses = (move: DeliveryMove): RawBuilder<unknown> => sql`${[...DELIVERY_MOVES[move].from]}::text[]`;

// ─── queue ──────────────────────────────────────────────────────────────────────────────────

/**
 * The body of the CTE that queues an event's deliveries inside the statement writing the change
 * (common/events/append.ts): nothing is queued unless the change (`changed`) wrote something.
 */
export const queueDeliveries = (deliveries: readonly PlannedDelivery[]): RawBuilder<unknown> => sql`
      insert into webhook_deliveries (id, tenant_id, partner_id, subscription_id, event_id, name, status, max_attempts, next_retry_at)
      select d.id, d.tenant_id, d.partner_id, d.subscription_id, d.event_id, d.name, 'pending', d.max_attempts, now()
      from jsonb_populate_recordset(null::webhook_deliveries, ${JSON.stringify(deliveries)}::jsonb) d
      where exists (select 1 from changed)
      on conflict (id) do nothing`;

/** Rows for replayed events the subscription never had, so the replay can hand them over. */
export async function queuePlaceholders(trx: Db, planned: readonly PlannedDelivery[]): Promise<void> {
  if (!planned.length) return;
  await sql`
    insert into webhook_deliveries (id, tenant_id, partner_id, subscription_id, event_id, name, status, max_attempts, next_retry_at)
    select d.id, d.tenant_id, d.partner_id, d.subscription_id, d.event_id, d.name, 'cancelled', d.max_attempts, null
    from jsonb_populate_recordset(null::webhook_deliveries, ${JSON.stringify(planned)}::jsonb) d
    on conflict (id) do nothing`.execute(trx);
}

// ─── lease ──────────────────────────────────────────────────────────────────────────────────

/** A delivery as the queue hands it out: the row, its subscription and its event. */
export interface ClaimedDelivery {
  id: string;
  /** Whose subscription it is: a tenant's, or a partner's. */
  tenant_id: string | null;
  partner_id: string | null;
  subscription_id: string;
  /** The event's name in the subscriber's dialect. */
  name: string;
  attempt_count: number;
  max_attempts: number;
  retry_base: number;
  provider: ProviderName;
  url: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  retry_schedule: number[] | null;
  /** False when the subscription was disabled or deleted after the delivery was queued. */
  subscription_active: boolean;
  event_id: string;
  event_type: CanonicalEvent;
  event_created_at: Date;
  subject_id: string;
  previous_status: string | null;
  payload: Record<string, unknown>;
  /** The stop's integer trip id (what brokers know it by), for a stop's event. */
  trip_id: string | null;
}

/** Seconds a claimed delivery is held: the dialect's timeout plus room to record the result. */
const LEASE_MARGIN_SECONDS = 15;
const leaseSeconds = sql.join(
  PROVIDERS.map((p) => sql`when ${p} then ${Math.ceil(PROFILES[p].timeoutMs / 1000) + LEASE_MARGIN_SECONDS}::int`),
  sql` `,
);
/** Subscriptions considered per claim (the ones waiting longest). */
const SUBSCRIPTIONS_PER_CLAIM = 500;
/** A subscription whose last this many tries all failed is probed, not flooded (see claimDue). */
export const PROBE_AFTER_FAILURES = 20;
/** While probing, a subscription's next first try starts this long after its last failure at the earliest. */
export const PROBE_INTERVAL_SECONDS = 1;
/** A queued delivery `w` that is due and not in flight. */
const DUE_AND_FREE = sql`w.status = 'pending' and w.next_retry_at <= now() and (w.lease_until is null or w.lease_until < now())`;

/**
 * Locks the due deliveries of each subscription in `room` that `only` admits, as many as it has
 * room for, oldest first, numbered by their place in its line.
 */
const lockInLine = (only: RawBuilder<unknown>, perSubscription: number): RawBuilder<unknown> => sql`
      select p.id, p.place, room.turn, room.oldest from room
      cross join lateral (
        -- Row locks and window functions do not mix in one select: number the locked rows outside.
        select l.id, row_number() over (order by l.next_retry_at, l.id) as place from (
          select w.id, w.next_retry_at from webhook_deliveries w
          where ${only} and w.subscription_id = room.subscription_id and ${DUE_AND_FREE}
          order by w.next_retry_at, w.id
          limit greatest(0, ${perSubscription} - room.busy - room.probe)
          for update of w skip locked
        ) l
      ) p`;

/**
 * Claims up to `limit` due deliveries, at most `perSubscription` in flight per subscription.
 * Tenants take turns: the claim goes round every tenant's longest-waiting subscription first,
 * then their second, and so on, one delivery each per round, so a tenant with thousands of due
 * deliveries (an import to 25 failing receivers) takes one turn per round like everyone else.
 *
 * A subscription whose last PROBE_AFTER_FAILURES tries all failed is probed: its new deliveries'
 * first tries go one at a time, each at least PROBE_INTERVAL_SECONDS after its last failure,
 * until one succeeds and it is back to full speed. A receiver that is down would fail every one
 * of them anyway; hammering it cost the machine (and other tenants) a try per event. Retries keep
 * their schedule exactly: they are never held back by probing.
 */
export async function claimDue(db: Db, limit: number, perSubscription: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery & { claim_order: string }>`
    -- Every subscription with deliveries waiting, one index probe each (a skip scan of the due index).
    with recursive queued(subscription_id) as (
      (select subscription_id from webhook_deliveries where status = 'pending' order by subscription_id limit 1)
      union all
      select (select w.subscription_id from webhook_deliveries w where w.status = 'pending' and w.subscription_id > q.subscription_id order by w.subscription_id limit 1)
      from queued q where q.subscription_id is not null
    ), due as (
      select q.subscription_id, h.oldest, row_number() over (partition by h.owner order by h.oldest) as turn
      from queued q cross join lateral (
        -- Its longest-waiting delivery not in flight: past the few leased ones at the head.
        select w.next_retry_at as oldest, coalesce(w.tenant_id, w.partner_id::text) as owner from webhook_deliveries w
        where w.subscription_id = q.subscription_id and ${DUE_AND_FREE}
        order by w.next_retry_at limit 1
      ) h
      where q.subscription_id is not null
      order by turn, oldest
      limit ${SUBSCRIPTIONS_PER_CLAIM}
    ), busy as (
      select subscription_id, count(*)::int as n, count(*) filter (where attempt_count = 0)::int as first_tries from webhook_deliveries
      where status = 'pending' and lease_until is not null and lease_until >= now() and subscription_id in (select subscription_id from due)
      group by subscription_id
    ), probes as (
      select due.subscription_id, due.turn, due.oldest, coalesce(busy.n, 0) as busy, coalesce(busy.first_tries, 0) as first_tries,
        s.consecutive_failures >= ${PROBE_AFTER_FAILURES} as probing,
        s.last_failure_at is null or s.last_failure_at <= now() - make_interval(secs => ${PROBE_INTERVAL_SECONDS}) as probe_time
      from due
      join webhook_subscriptions s on s.id = due.subscription_id
      left join busy using (subscription_id)
    ), room as (
      -- probe: a probing subscription's one first try may go now (none in flight, room, its time).
      select subscription_id, turn, oldest, busy, probing, (probing and first_tries = 0 and busy < ${perSubscription} and probe_time)::int as probe from probes
    ), picked as (
${lockInLine(sql`not room.probing`, perSubscription)}
      union all
      -- A probing subscription's due retries (their own index: not past its waiting first tries).
${lockInLine(sql`room.probing and w.attempt_count > 0`, perSubscription)}
      union all
      -- A probing subscription's one first try, when it is time for it.
      select f.id, 1 as place, room.turn, room.oldest from room
      cross join lateral (
        select w.id from webhook_deliveries w
        where room.probe = 1 and w.subscription_id = room.subscription_id and ${DUE_AND_FREE} and w.attempt_count = 0
        order by w.next_retry_at, w.id
        limit 1
        for update of w skip locked
      ) f
    ), chosen as (
      select id, row_number() over (order by place, turn, oldest) as claim_order from picked order by place, turn, oldest limit ${limit}
    ), leased as (
    update webhook_deliveries d
    set lease_until = now() + make_interval(secs => case s.provider ${leaseSeconds} else ${30 + LEASE_MARGIN_SECONDS}::int end)
    from chosen, webhook_subscriptions s, events e left join stops st on e.subject_type = 'stop' and st.id = e.subject_id
    where d.id = chosen.id and s.id = d.subscription_id and e.id = d.event_id
    returning d.id, d.tenant_id, d.partner_id, d.subscription_id, d.name, d.attempt_count, d.max_attempts, d.retry_base,
      s.provider, s.url, s.secret_enc, s.previous_secret_enc, s.previous_secret_expires_at, s.retry_schedule,
      (s.is_active and s.deleted_at is null) as subscription_active,
      e.id as event_id, e.type as event_type, e.created_at as event_created_at, e.subject_id, e.previous_status, e.payload,
      st.trip_id, chosen.claim_order
    )
    -- In the claim's own order (every subscription's first, then its second ...): an UPDATE
    -- returns rows in no particular order, and the sender sends them in the order given.
    select * from leased order by claim_order`.execute(db);
  return rows.map(({ claim_order: _order, ...d }) => d);
}

/** A delivery leased for a subscription switched off since it was queued: it goes no further. */
export async function cancelLeased(db: Db, id: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status: 'cancelled', next_retry_at: null, lease_until: null }).where('id', '=', id).where('status', 'in', DELIVERY_MOVES.lease.from).execute();
}

// ─── record ─────────────────────────────────────────────────────────────────────────────────

/** One try as it is to be stored. */
export interface TryRecord {
  deliveryId: string;
  subscriptionId: string;
  attempt: number;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  responseTruncated: boolean;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  /** The delivery's state after this try, and the wait before the next (retrying only). */
  status: Extract<DeliveryStatus, 'succeeded' | 'retrying' | 'failed'>;
  waitMs: number;
  ok: boolean;
  gone: boolean;
}

export interface Recorded {
  /** Deliveries this call moved on (a try recorded before, or for a delivery cancelled meanwhile, moves none). */
  moved: Set<string>;
  /** Subscriptions whose next wait starts before their timer's next look: the timer must hear of it. */
  wakes: { subscriptionId: string; at: Date }[];
}

/**
 * Only a delivery still waiting for exactly this try moves on (not one cancelled meanwhile, nor
 * one whose try another worker recorded first after a lease ran out). A subscription's counters
 * follow (a success resets its failure streak and only writes when that changes something; a
 * 410 switches it off), and so does its retry wake-up: moved earlier when a new wait ends
 * before it, under the row lock the timer's own look takes.
 */
export async function recordTries(db: Db, tries: readonly TryRecord[]): Promise<Recorded> {
  const attempts = tries.map((t) => ({
    delivery_id: t.deliveryId,
    attempt_number: t.attempt,
    started_at: t.startedAt,
    duration_ms: t.durationMs,
    status_code: t.statusCode,
    error: t.error,
    response_body: t.responseBody,
    response_truncated: t.responseTruncated,
    succeeded: t.ok,
    request_headers: t.requestHeaders,
    request_body: t.requestBody,
  }));
  const moves = tries.map((t) => ({
    id: t.deliveryId,
    subscription_id: t.subscriptionId,
    status: t.status,
    attempt: t.attempt,
    code: t.statusCode,
    ms: t.durationMs,
    error: t.error,
    started: t.startedAt,
    next_retry: t.status === 'retrying' ? new Date(t.endedAt.getTime() + t.waitMs) : null,
    delivered: t.status === 'succeeded' ? t.endedAt : null,
    failed: t.status === 'failed' ? t.endedAt : null,
    ok: t.ok,
    gone: t.gone,
  }));
  const { rows } = await sql<{ id: string | null; woken: string | null; due: Date | null }>`
    with new_attempts as (
      insert into webhook_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_body, response_truncated, succeeded, request_headers, request_body)
      select delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_body, response_truncated, succeeded, request_headers, request_body
      from jsonb_populate_recordset(null::webhook_attempts, ${JSON.stringify(attempts)}::jsonb)
      on conflict (delivery_id, attempt_number) do nothing
    ), v as (
      select * from jsonb_to_recordset(${JSON.stringify(moves)}::jsonb) as v(
        id text, subscription_id text, status text, attempt int, code int, ms int, error text, started timestamptz,
        next_retry timestamptz, delivered timestamptz, failed timestamptz, ok boolean, gone boolean)
    ), moved as (
      update webhook_deliveries d set
        status = v.status, attempt_count = v.attempt, response_status = v.code, response_time_ms = v.ms,
        error_message = v.error, first_attempted_at = coalesce(d.first_attempted_at, v.started),
        last_attempted_at = v.started, next_retry_at = v.next_retry, delivered_at = v.delivered, failed_at = v.failed,
        lease_until = null
      from v
      where d.id = v.id and d.status = any(${fromStatuses('record')}) and d.attempt_count = v.attempt - 1
      returning d.id
    ), outcome as (
      select v.subscription_id, bool_or(v.ok) as any_ok, count(*) filter (where not v.ok) as failures, bool_or(v.gone) as gone,
        min(v.next_retry) as due
      from v join moved using (id)
      group by v.subscription_id
    ), counted as (
      update webhook_subscriptions s set
        consecutive_failures = case when o.any_ok then 0 else s.consecutive_failures + o.failures end,
        failing_since = case when o.any_ok then null else coalesce(s.failing_since, now()) end,
        last_success_at = case when o.any_ok then now() else s.last_success_at end,
        last_failure_at = case when o.any_ok then s.last_failure_at else now() end,
        is_active = s.is_active and not o.gone,
        disabled_at = case when o.gone then now() else s.disabled_at end,
        disabled_reason = case when o.gone then 'the endpoint answered 410 Gone' else s.disabled_reason end,
        retry_wake_at = case when o.due is not null and (s.retry_wake_at is null or s.retry_wake_at > o.due) then o.due else s.retry_wake_at end
      from outcome o
      where s.id = o.subscription_id
        and (not o.any_ok or o.gone or s.consecutive_failures > 0 or s.last_success_at is null or s.last_success_at < now() - interval '1 second'
          or (o.due is not null and (s.retry_wake_at is null or s.retry_wake_at > o.due)))
      -- The wake-up is now this batch's: this batch moved it (or set it to the same instant).
      returning s.id, o.due, s.retry_wake_at = o.due as woken
    )
    select id, null::text as woken, null::timestamptz as due from moved
    union all
    select null, id, due from counted where woken`.execute(db);
  return {
    moved: new Set(rows.flatMap((r) => (r.id ? [r.id] : []))),
    wakes: rows.flatMap((r) => (r.woken && r.due ? [{ subscriptionId: r.woken, at: new Date(r.due) }] : [])),
  };
}

// ─── requeue ────────────────────────────────────────────────────────────────────────────────

/**
 * The retry timer's move, inside its transaction (which holds the subscription row): every
 * waiting delivery of the subscription due within the lookahead goes back on the queue, each
 * keeping its due time. `cutoff` is the database's now as the timer's clock tells it; when that
 * runs further ahead than the lookahead (only the time-skipping test server, where hours pass in
 * a second) due times move back by as much, never before now. Returns how many moved, and the
 * earliest due time still ahead.
 */
export async function requeueDue(trx: Db, subscriptionId: string, at: { cutoff?: string; lookaheadMs: number }): Promise<{ n: number; firstAhead: Date | null }> {
  const { rows } = await sql<{ n: number; first_ahead: Date | null }>`
      with given as (
        select now() as now, greatest(now(), ${at.cutoff ?? null}::timestamptz) as ahead, make_interval(secs => ${at.lookaheadMs / 1000}) as lookahead
      ), clock as (
        select given.*, case when ahead - now > lookahead then ahead - now else interval '0' end as skew from given
      ),
      moved as (
        update webhook_deliveries d
        set status = 'pending', next_retry_at = greatest(clock.now, d.next_retry_at - clock.skew), lease_until = null
        from clock
        where d.subscription_id = ${subscriptionId} and d.status = any(${fromStatuses('requeueDue')}) and d.next_retry_at <= clock.ahead + clock.lookahead
        returning d.next_retry_at
      )
      select count(*)::int as n, min(moved.next_retry_at) filter (where moved.next_retry_at > clock.now) as first_ahead
      from moved cross join clock`.execute(trx);
  return { n: rows[0]?.n ?? 0, firstAhead: rows[0]?.first_ahead ?? null };
}

/**
 * Puts deliveries back on the queue for a new series of tries on their subscription's schedule,
 * the first one now (a manual retry, a recovery, a replay). Only deliveries in a status the move
 * starts from go; one already on its way is left to it. Inside the caller's transaction when
 * there is one (a recovery marks its items with it).
 */
export async function requeueDeliveries(
  db: Db,
  move: Extract<DeliveryMove, 'manualRetry' | 'resend'>,
  ids: readonly string[],
  tries: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const run = async (trx: Db): Promise<string[]> => {
    const rows = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', retry_base: sql`attempt_count`, max_attempts: sql`attempt_count + ${tries}`, next_retry_at: sql`now()`, failed_at: null, lease_until: null })
      .where('id', 'in', ids)
      .where('status', 'in', DELIVERY_MOVES[move].from)
      .returning('id')
      .execute();
    if (rows.length) await notify(trx, CHANNELS.deliveries);
    return rows.map((r) => r.id);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

// ─── cancel ─────────────────────────────────────────────────────────────────────────────────

/** Cancels what a subscription still had to send; returns how many. */
export async function cancelSubscriptionDeliveries(trx: Db, subscriptionId: string): Promise<number> {
  const rows = await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_retry_at: null, lease_until: null })
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', DELIVERY_MOVES.cancel.from)
    .returning('id')
    .execute();
  return rows.length;
}
