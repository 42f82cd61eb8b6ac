/**
 * Recording tries: the attempt rows, each delivery's new state and its subscription's counters
 * and retry wake-up, for many tries in one statement.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { DeliveryStatus } from '../db/schema';

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
      where d.id = v.id and d.status = 'pending' and d.attempt_count = v.attempt - 1
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
