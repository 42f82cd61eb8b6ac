/**
 * Records tries: the attempt row, the delivery's new state and its subscription's counters, for
 * many tries at once in one statement. A batch the database refuses is recorded again one try
 * at a time, so one odd answer never costs its siblings their record; a try that still cannot be
 * stored is recorded without the answer's body. After commit, tries that make a delivery wait (or
 * fail, or end a wait) are handed to the delivery's retry workflow.
 */
import { sql } from 'kysely';
import type { Db } from '../../common/db/connect';
import type { Logger } from '../../common/logger';
import { METRICS } from '../../common/metrics/registry';
import type { DeliveryTry } from '../../common/temporal/delivery-retry';
import { judgeTry, type Judgement } from '../../common/webhooks/judge';
import { retryDelaysOf } from '../../common/webhooks/profiles';
import { stopSubscriptionDeliveries } from '../../common/webhooks/subscription-stop';
import { type Handoff, handOff, type HandoffDeps, hostOf, needsHandoff } from '../../activities/delivery-handoff';
import type { SentTry } from './send-try';

const DEADLOCK = '40P01';
/** How long a try's record is retried through a database outage before its lease is left to expire. */
const GIVE_UP_AFTER_MS = 20_000;

interface Judged extends SentTry {
  judgement: Judgement;
  tryInfo: DeliveryTry;
}

function judged(t: SentTry): Judged {
  const d = t.delivery;
  const judgement = judgeTry({ attempt: t.attempt, maxAttempts: d.max_attempts, retryBase: d.retry_base, delaysSeconds: retryDelaysOf(d) }, t.outcome);
  const endedAt = t.endedAt.toISOString();
  return {
    ...t,
    judgement,
    tryInfo: {
      attempt: t.attempt,
      maxAttempts: d.max_attempts,
      status: judgement.status,
      startedAt: t.startedAt.toISOString(),
      endedAt,
      durationMs: t.outcome.durationMs,
      statusCode: t.outcome.statusCode,
      error: judgement.error,
      waitMs: judgement.waitMs,
      waitFrom: endedAt,
    },
  };
}

/** The try in the metrics: its outcome and time, and the delivery's end when it ended. */
function countTry(t: Judged): void {
  const provider = t.delivery.provider;
  const outcome = t.judgement.status;
  METRICS.tries.inc({ provider, outcome });
  METRICS.tryDuration.observe({ provider }, t.outcome.durationMs / 1000);
  if (outcome !== 'retrying') METRICS.deliveries.inc({ provider, outcome });
}

export class TryRecorder {
  private queue: { t: Judged; done: () => void }[] = [];
  private flushing: Promise<void> | undefined;
  private handoffs = new Set<Promise<unknown>>();

  constructor(private readonly deps: HandoffDeps & { db: Db; logger: Logger }) {}

  /** Resolves once the try is recorded (or given up on: its lease then runs out and it is sent again). */
  record(t: SentTry): Promise<void> {
    const j = judged(t);
    countTry(j);
    return new Promise((resolve) => {
      this.queue.push({ t: j, done: resolve });
      this.flushing ??= this.flushAll();
    });
  }

  /** Waits for every queued try to be recorded and every hand-off to finish. */
  async drain(): Promise<void> {
    while (this.flushing || this.handoffs.size) {
      await this.flushing;
      await Promise.all([...this.handoffs]);
    }
  }

  /** Records whatever is queued, batch after batch: tries that finish during a write wait for the next. */
  private async flushAll(): Promise<void> {
    // Let tries that finish in the same tick join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, 500);
      const tries = batch.map((b) => b.t);
      let written: Judged[] = [];
      try {
        written = await this.withRetries(() => this.write(tries));
      } catch {
        // One try at a time, so a try the database refuses only costs itself.
        for (const t of tries) {
          try {
            written.push(...(await this.withRetries(() => this.write([t]))));
          } catch {
            const bare = { ...t, outcome: { ...t.outcome, responseBody: null, responseTruncated: false } };
            try {
              written.push(...(await this.withRetries(() => this.write([bare]))));
            } catch (err) {
              this.deps.logger.error({ err: (err as Error).message, delivery_id: t.delivery.id }, 'a try could not be recorded; it will be sent again when its lease runs out');
            }
          }
        }
      }
      for (const b of batch) b.done();
      this.afterCommit(written);
    }
    this.flushing = undefined;
  }

  private async withRetries<T>(write: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + GIVE_UP_AFTER_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await write();
      } catch (err) {
        const code = (err as { code?: string }).code;
        const transient = code === DEADLOCK || code === '40001' || code === undefined || /^(08|57P)/.test(code);
        if (!transient || Date.now() + wait > deadline) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /**
   * One statement for the batch: the attempt rows, each delivery's new state (only a delivery
   * still waiting for exactly this try moves on: not one cancelled meanwhile, nor one whose try
   * another worker recorded first after a lease ran out), and each subscription's counters
   * (a success resets its failure streak and only writes when that changes something; a 410
   * switches it off). Returns the tries whose delivery moved on.
   */
  private async write(tries: readonly Judged[]): Promise<Judged[]> {
    const attempts = tries.map((t) => ({
      delivery_id: t.delivery.id,
      attempt_number: t.attempt,
      started_at: t.startedAt,
      duration_ms: t.outcome.durationMs,
      status_code: t.outcome.statusCode,
      error: t.judgement.error,
      response_body: t.outcome.responseBody,
      response_truncated: t.outcome.responseTruncated,
      succeeded: t.judgement.ok,
      request_headers: t.request?.headers ?? null,
      request_body: t.request?.body ?? null,
    }));
    const moves = tries.map((t) => {
      const { status, waitMs } = t.judgement;
      return {
        id: t.delivery.id,
        subscription_id: t.delivery.subscription_id,
        status,
        attempt: t.attempt,
        code: t.outcome.statusCode,
        ms: t.outcome.durationMs,
        error: t.judgement.error,
        started: t.startedAt,
        next_retry: status === 'retrying' ? new Date(t.endedAt.getTime() + waitMs) : null,
        delivered: status === 'succeeded' ? t.endedAt : null,
        failed: status === 'failed' ? t.endedAt : null,
        handoff: needsHandoff(t.tryInfo, t.delivery.retry_base),
        ok: t.judgement.ok,
        gone: t.judgement.gone,
      };
    });
    const { rows } = await sql<{ id: string }>`
      with new_attempts as (
        insert into webhook_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_body, response_truncated, succeeded, request_headers, request_body)
        select delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_body, response_truncated, succeeded, request_headers, request_body
        from jsonb_populate_recordset(null::webhook_attempts, ${JSON.stringify(attempts)}::jsonb)
        on conflict (delivery_id, attempt_number) do nothing
      ), v as (
        select * from jsonb_to_recordset(${JSON.stringify(moves)}::jsonb) as v(
          id text, subscription_id text, status text, attempt int, code int, ms int, error text, started timestamptz,
          next_retry timestamptz, delivered timestamptz, failed timestamptz, handoff boolean, ok boolean, gone boolean)
      ), moved as (
        update webhook_deliveries d set
          status = v.status, attempt_count = v.attempt, response_status = v.code, response_time_ms = v.ms,
          error_message = v.error, first_attempted_at = coalesce(d.first_attempted_at, v.started),
          last_attempted_at = v.started, next_retry_at = v.next_retry, delivered_at = v.delivered, failed_at = v.failed,
          lease_until = null, handoff_pending = v.handoff
        from v
        where d.id = v.id and d.status = 'pending' and d.attempt_count = v.attempt - 1
        returning d.id
      ), outcome as (
        select v.subscription_id, bool_or(v.ok) as any_ok, count(*) filter (where not v.ok) as failures, bool_or(v.gone) as gone
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
          disabled_reason = case when o.gone then 'the endpoint answered 410 Gone' else s.disabled_reason end
        from outcome o
        where s.id = o.subscription_id
          and (not o.any_ok or o.gone or s.consecutive_failures > 0 or s.last_success_at is null or s.last_success_at < now() - interval '1 second')
      )
      select id from moved`.execute(this.deps.db);
    const movedIds = new Set(rows.map((r) => r.id));
    return tries.filter((t) => movedIds.has(t.delivery.id));
  }

  private afterCommit(written: readonly Judged[]): void {
    const gone = [...new Set(written.filter((t) => t.judgement.gone).map((t) => t.delivery.subscription_id))];
    const items: Handoff[] = written
      .filter((t) => needsHandoff(t.tryInfo, t.delivery.retry_base))
      .map((t) => ({
        input: {
          deliveryId: t.delivery.id,
          tenantId: t.delivery.tenant_id,
          partnerId: t.delivery.partner_id,
          subscriptionId: t.delivery.subscription_id,
          eventId: t.delivery.event_id,
          eventType: t.delivery.event_type,
          name: t.delivery.name,
          provider: t.delivery.provider,
          host: hostOf(t.delivery.url),
        },
        try: t.tryInfo,
      }));
    if (items.length === 0 && gone.length === 0) return;
    // Hand-offs talk to Temporal; the next batch does not wait for them (the sweep redoes any that fail).
    const work = (async () => {
      if (items.length) await handOff(this.deps, items);
      for (const id of gone) await stopSubscriptionDeliveries(this.deps.db, this.deps.temporal, id);
    })().catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'hand-off after recording failed; the sweep will retry it'));
    this.handoffs.add(work);
    void work.finally(() => this.handoffs.delete(work));
  }
}
