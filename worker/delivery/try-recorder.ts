/**
 * Records tries (common/deliveries/moves.ts), many at once in one statement. A batch the
 * database refuses is recorded again one try at a time, so one odd answer never costs its
 * siblings their record; a try that still cannot be stored is recorded without the answer's
 * body. After commit, a subscription whose next wait now starts before its retry timer's next
 * look wakes that timer; nothing else about a try reaches Temporal.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../../common/db/connect';
import { recordTries, type Recorded, type TryRecord } from '../../common/deliveries/moves';
import { hostOf, type RetryWake, wakeRetryTimers } from '../../common/deliveries/retry-wake';
import type { Logger } from '../../common/logger';
import { METRICS } from '../../common/metrics/registry';
import { judgeTry, type Judgement } from '../../common/deliveries/judge';
import { retryDelaysOf } from '../../common/dialects/profiles';
import { stopSubscriptionDeliveries } from '../../common/subscriptions/subscription-stop';
import { subscriptionRetriesWorkflow } from '../../workflows/subscription-retries';
import type { SentTry } from './send-try';

const DEADLOCK = '40P01';
/** How long a try's record is retried through a database outage before its lease is left to expire. */
const GIVE_UP_AFTER_MS = 20_000;

interface Judged extends SentTry {
  judgement: Judgement;
}

function judged(t: SentTry): Judged {
  const d = t.delivery;
  const judgement = judgeTry({ attempt: t.attempt, maxAttempts: d.max_attempts, retryBase: d.retry_base, delaysSeconds: retryDelaysOf(d) }, t.outcome);
  return { ...t, judgement };
}

const toRecord = (t: Judged): TryRecord => ({
  deliveryId: t.delivery.id,
  subscriptionId: t.delivery.subscription_id,
  attempt: t.attempt,
  startedAt: t.startedAt,
  endedAt: t.endedAt,
  durationMs: t.outcome.durationMs,
  statusCode: t.outcome.statusCode,
  error: t.judgement.error,
  responseBody: t.outcome.responseBody,
  responseTruncated: t.outcome.responseTruncated,
  requestHeaders: t.request?.headers ?? null,
  requestBody: t.request?.body ?? null,
  status: t.judgement.status,
  waitMs: t.judgement.waitMs,
  ok: t.judgement.ok,
  gone: t.judgement.gone,
});

/** What the metrics keep of one try; plain data, so a delivery thread can pass it to its process's registry. */
export interface TryCount {
  provider: string;
  outcome: Judgement['status'];
  seconds: number;
}

/** The try in this process's metrics: its outcome and time, and the delivery's end when it ended. */
export function countTry({ provider, outcome, seconds }: TryCount): void {
  METRICS.tries.inc({ provider, outcome });
  METRICS.tryDuration.observe({ provider }, seconds);
  if (outcome !== 'retrying') METRICS.deliveries.inc({ provider, outcome });
}

export interface RecorderDeps {
  db: Db;
  temporal: Client;
  /** The delivery-timer task queue, where subscriptions' retry timers run. */
  timerQueue: string;
  logger: Logger;
  /** Where each try is counted (default: this thread's metrics). */
  count?: (t: TryCount) => void;
}

export class TryRecorder {
  private queue: { t: Judged; done: () => void }[] = [];
  private flushing: Promise<void> | undefined;
  private afterwork = new Set<Promise<unknown>>();

  constructor(private readonly deps: RecorderDeps) {}

  /** Resolves once the try is recorded (or given up on: its lease then runs out and it is sent again). */
  record(t: SentTry): Promise<void> {
    const j = judged(t);
    (this.deps.count ?? countTry)({ provider: j.delivery.provider, outcome: j.judgement.status, seconds: j.outcome.durationMs / 1000 });
    return new Promise((resolve) => {
      this.queue.push({ t: j, done: resolve });
      this.flushing ??= this.flushAll();
    });
  }

  /** Waits for every queued try to be recorded and every timer wake-up to be sent. */
  async drain(): Promise<void> {
    while (this.flushing || this.afterwork.size) {
      await this.flushing;
      await Promise.all([...this.afterwork]);
    }
  }

  /** Records whatever is queued, batch after batch: tries that finish during a write wait for the next. */
  private async flushAll(): Promise<void> {
    // Let tries that finish in the same tick join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, 500);
      const tries = batch.map((b) => b.t);
      const written: { t: Judged[]; wakes: Recorded['wakes'] } = { t: [], wakes: [] };
      const write = async (ts: Judged[], bare = false): Promise<void> => {
        const r = await this.withRetries(() => recordTries(this.deps.db, ts.map((t) => (bare ? { ...toRecord(t), responseBody: null, responseTruncated: false } : toRecord(t)))));
        written.t.push(...ts.filter((t) => r.moved.has(t.delivery.id)));
        written.wakes.push(...r.wakes);
      };
      try {
        await write(tries);
      } catch {
        // One try at a time, so a try the database refuses only costs itself.
        for (const t of tries) {
          try {
            await write([t]);
          } catch {
            try {
              await write([t], true);
            } catch (err) {
              this.deps.logger.error({ err: (err as Error).message, delivery_id: t.delivery.id }, 'a try could not be recorded; it will be sent again when its lease runs out');
            }
          }
        }
      }
      for (const b of batch) b.done();
      this.afterCommit(written.t, written.wakes);
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

  private afterCommit(written: readonly Judged[], wakes: Recorded['wakes']): void {
    const gone = [...new Set(written.filter((t) => t.judgement.gone).map((t) => t.delivery.subscription_id))];
    if (wakes.length === 0 && gone.length === 0) return;
    const bySubscription = new Map(written.map((t) => [t.delivery.subscription_id, t.delivery]));
    const timers: RetryWake[] = wakes.flatMap((w) => {
      const d = bySubscription.get(w.subscriptionId);
      return d ? [{ input: { subscriptionId: d.subscription_id, tenantId: d.tenant_id, partnerId: d.partner_id, provider: d.provider, host: hostOf(d.url) }, at: w.at }] : [];
    });
    // Wake-ups talk to Temporal; the next batch does not wait for them (the sweep redoes any that fail).
    const work = (async () => {
      const target = { temporal: this.deps.temporal, taskQueue: this.deps.timerQueue, workflow: subscriptionRetriesWorkflow };
      await wakeRetryTimers(target, timers, (id, err) => this.deps.logger.warn({ err: (err as Error).message, subscription_id: id }, 'retry timer not woken; the sweep will wake it'));
      for (const id of gone) await stopSubscriptionDeliveries(this.deps.db, this.deps.temporal, id);
    })().catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'work after recording failed; the sweep will redo it'));
    this.afterwork.add(work);
    void work.finally(() => this.afterwork.delete(work));
  }
}
