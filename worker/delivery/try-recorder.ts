/**
 * Records tries: the attempt row, the delivery's new state and its subscription's counters, for
 * many tries at once in one transaction. A batch the database refuses is recorded again one try
 * at a time, so one odd answer never costs its siblings their record; a try that still cannot be
 * stored is recorded without the answer's body. After commit, tries that make a delivery wait (or
 * fail, or end a wait) are handed to the delivery's retry workflow.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../common/db/schema';
import type { Db } from '../../common/db/connect';
import type { Logger } from '../../common/logger';
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

export class TryRecorder {
  private queue: { t: Judged; done: () => void }[] = [];
  private flushing: Promise<void> | undefined;
  private handoffs = new Set<Promise<unknown>>();

  constructor(private readonly deps: HandoffDeps & { db: Db; logger: Logger }) {}

  /** Resolves once the try is recorded (or given up on: its lease then runs out and it is sent again). */
  record(t: SentTry): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ t: judged(t), done: resolve });
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

  /** One transaction for the batch; returns the tries whose delivery it moved on. */
  private write(tries: readonly Judged[]): Promise<Judged[]> {
    return this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values(
          tries.map((t) => ({
            delivery_id: t.delivery.id,
            attempt_number: t.attempt,
            started_at: t.startedAt,
            duration_ms: t.outcome.durationMs,
            status_code: t.outcome.statusCode,
            error: t.judgement.error,
            response_body: t.outcome.responseBody,
            response_truncated: t.outcome.responseTruncated,
            succeeded: t.judgement.ok,
          })),
        )
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt_number']).doNothing())
        .execute();
      const rows = tries.map((t) => {
        const { status, waitMs } = t.judgement;
        const ended = t.endedAt.getTime();
        return sql`(${t.delivery.id}::text, ${status}::text, ${t.attempt}::int, ${t.outcome.statusCode}::int, ${t.outcome.durationMs}::int, ${t.judgement.error}::text,
          ${t.startedAt}::timestamptz, ${status === 'retrying' ? new Date(ended + waitMs) : null}::timestamptz,
          ${status === 'succeeded' ? t.endedAt : null}::timestamptz, ${status === 'failed' ? t.endedAt : null}::timestamptz,
          ${needsHandoff(t.tryInfo, t.delivery.retry_base)}::boolean)`;
      });
      // Only a delivery still waiting for exactly this try moves on (not one cancelled meanwhile,
      // nor one whose try another worker recorded first after a lease ran out).
      const moved = await sql<{ id: string }>`
        update webhook_deliveries d set
          status = v.status, attempt_count = v.attempt, response_status = v.code, response_time_ms = v.ms,
          error_message = v.error, first_attempted_at = coalesce(d.first_attempted_at, v.started),
          last_attempted_at = v.started, next_retry_at = v.next_retry, delivered_at = v.delivered, failed_at = v.failed,
          lease_until = null, handoff_pending = v.handoff
        from (values ${sql.join(rows)}) as v(id, status, attempt, code, ms, error, started, next_retry, delivered, failed, handoff)
        where d.id = v.id and d.status = 'pending' and d.attempt_count = v.attempt - 1
        returning d.id`.execute(trx);
      const movedIds = new Set(moved.rows.map((r) => r.id));
      const written = tries.filter((t) => movedIds.has(t.delivery.id));
      await updateSubscriptions(trx, written);
      return written;
    });
  }

  private afterCommit(written: readonly Judged[]): void {
    const gone = [...new Set(written.filter((t) => t.judgement.gone).map((t) => t.delivery.subscription_id))];
    const items: Handoff[] = written
      .filter((t) => needsHandoff(t.tryInfo, t.delivery.retry_base))
      .map((t) => ({
        input: {
          deliveryId: t.delivery.id,
          tenantId: t.delivery.tenant_id,
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

/**
 * Each subscription's counters, once per batch: a success resets the failure streak; failures
 * add to it; a 410 switches the subscription off. Rows are locked in id order, so two workers'
 * batches cannot deadlock; a success only writes when it changes something worth writing.
 */
async function updateSubscriptions(trx: Transaction<Database>, written: readonly Judged[]): Promise<void> {
  if (written.length === 0) return;
  const succeeded = new Set(written.filter((t) => t.judgement.ok).map((t) => t.delivery.subscription_id));
  const failures = new Map<string, number>();
  for (const t of written) if (!succeeded.has(t.delivery.subscription_id)) failures.set(t.delivery.subscription_id, (failures.get(t.delivery.subscription_id) ?? 0) + 1);
  const gone = [...new Set(written.filter((t) => t.judgement.gone).map((t) => t.delivery.subscription_id))];
  const failing = [...failures.keys()];
  const locked = await trx
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('id', 'in', [...succeeded, ...failing])
    .where((eb) =>
      eb.or([
        ...(failing.length ? [eb('id', 'in', failing)] : []),
        eb('consecutive_failures', '>', 0),
        eb('last_success_at', 'is', null),
        eb('last_success_at', '<', sql<Date>`now() - interval '1 second'`),
      ]),
    )
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const toReset = locked.map((r) => r.id).filter((id) => succeeded.has(id));
  if (toReset.length) {
    await trx.updateTable('webhook_subscriptions').set({ consecutive_failures: 0, failing_since: null, last_success_at: sql`now()` }).where('id', 'in', toReset).execute();
  }
  if (failures.size) {
    await sql`
      update webhook_subscriptions s set consecutive_failures = s.consecutive_failures + v.n,
        failing_since = coalesce(s.failing_since, now()), last_failure_at = now()
      from (values ${sql.join([...failures].map(([id, n]) => sql`(${id}::text, ${n}::int)`))}) as v(id, n)
      where s.id = v.id`.execute(trx);
  }
  if (gone.length) {
    await trx
      .updateTable('webhook_subscriptions')
      .set({ is_active: false, disabled_at: sql`now()`, disabled_reason: 'the endpoint answered 410 Gone', updated_at: sql`now()` })
      .where('id', 'in', gone)
      .execute();
  }
}
