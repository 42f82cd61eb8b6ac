/**
 * Webhook delivery steps: planning an event's deliveries, one HTTP try, recording tries, and
 * the periodic jobs (outbox sweep, subscription health, event retention).
 */
import { sql } from 'kysely';
import type { DeliveryStatus } from '../common/db/schema';
import { relayOutbox, resumeStrandedDeliveries } from '../common/events/outbox';
import { postOnce, type AttemptOutcome } from '../common/webhooks/http-attempt';
import { type CanonicalEvent, messageIdFor, PROFILES, type ProviderName } from '../common/webhooks/profiles';
import { openDeliveries, type PlannedDelivery } from '../common/webhooks/plan';
import { SecretBox } from '../common/webhooks/secrets';
import { signatureHeaders } from '../common/webhooks/signing';
import { stopSubscriptionDeliveries } from '../common/webhooks/subscription-stop';
import type { ActivityDeps } from './deps';

export interface AttemptArgs {
  deliveryId: string;
  attempt: number;
  maxAttempts: number;
  /** The schedule's wait after this try if it fails; null after the last. */
  nextDelaySeconds: number | null;
  maxDelaySeconds: number;
}

export interface AttemptResult {
  status: DeliveryStatus;
  waitSeconds: number;
}

/** What one try means for its delivery: the new status, and the wait before the next try. */
export function judgeAttempt(args: AttemptArgs, outcome: AttemptOutcome): AttemptResult & { ok: boolean; gone: boolean; error: string | null } {
  const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
  const gone = outcome.statusCode === 410;
  const last = args.nextDelaySeconds === null;
  const status: DeliveryStatus = ok ? 'succeeded' : gone || last ? 'failed' : 'retrying';
  // A 429/503 Retry-After is honoured, bounded by the schedule's longest wait.
  const honoured =
    outcome.retryAfterSeconds !== null && (outcome.statusCode === 429 || outcome.statusCode === 503)
      ? Math.min(outcome.retryAfterSeconds, args.maxDelaySeconds)
      : 0;
  const waitSeconds = status === 'retrying' ? Math.max(args.nextDelaySeconds ?? 0, honoured) : 0;
  return { status, waitSeconds, ok, gone, error: outcome.error ?? (ok ? null : `HTTP ${outcome.statusCode}`) };
}

interface Tried {
  args: AttemptArgs;
  subscriptionId: string;
  outcome: AttemptOutcome;
  startedAt: Date;
}

const DEADLOCK = '40P01';
/** A retry this late has no workflow waiting for it (tries run within seconds of their time). */
const STRANDED_AFTER_SECONDS = 120;

export function webhookActivities({ db, temporal, config, logger }: ActivityDeps) {
  const box = new SecretBox(config.secretKey);

  /**
   * Stores tries and their consequences on the deliveries and subscriptions, in one transaction
   * with one statement per table. A try recorded before (a replayed activity) changes nothing.
   */
  async function recordAttempts(tried: readonly Tried[]): Promise<AttemptResult[]> {
    const judged = tried.map((t) => ({ ...t, ...judgeAttempt(t.args, t.outcome) }));
    const write = () =>
      db.transaction().execute(async (trx) => {
        // Subscription rows first and in id order, so concurrent batches cannot deadlock. (NO KEY
        // UPDATE, the lock an UPDATE takes: it does not block events inserting deliveries.)
        const subIds = [...new Set(judged.map((j) => j.subscriptionId))].sort();
        await trx.selectFrom('webhook_subscriptions').select('id').where('id', 'in', subIds).orderBy('id').forNoKeyUpdate().execute();
        const inserted = await trx
          .insertInto('webhook_attempts')
          .values(
            judged.map((j) => ({
              delivery_id: j.args.deliveryId,
              attempt_number: j.args.attempt,
              started_at: j.startedAt,
              duration_ms: j.outcome.durationMs,
              status_code: j.outcome.statusCode,
              error: j.error,
              response_body: j.outcome.responseBody,
              response_truncated: j.outcome.responseTruncated,
              succeeded: j.ok,
            })),
          )
          .onConflict((oc) => oc.columns(['delivery_id', 'attempt_number']).doNothing())
          .returning('delivery_id')
          .execute();
        const fresh = new Set(inserted.map((r) => r.delivery_id));
        const recorded = judged.filter((j) => fresh.has(j.args.deliveryId));
        if (recorded.length === 0) return [];
        const now = Date.now();
        const rows = recorded.map(
          (j) =>
            sql`(${j.args.deliveryId}::text, ${j.status}::text, ${j.args.attempt}::int, ${j.outcome.statusCode}::int, ${j.outcome.durationMs}::int, ${j.error}::text, ${j.startedAt}::timestamptz, ${
              j.status === 'retrying' ? new Date(now + j.waitSeconds * 1000) : null
            }::timestamptz, ${j.ok ? new Date(now) : null}::timestamptz, ${j.status === 'failed' ? new Date(now) : null}::timestamptz)`,
        );
        await sql`
          update webhook_deliveries d set
            status = v.status, attempt_count = v.attempt, response_status = v.code, response_time_ms = v.ms,
            error_message = v.error, first_attempted_at = coalesce(d.first_attempted_at, v.started),
            last_attempted_at = v.started, next_retry_at = v.next_retry, delivered_at = v.delivered, failed_at = v.failed
          from (values ${sql.join(rows)}) as v(id, status, attempt, code, ms, error, started, next_retry, delivered, failed)
          where d.id = v.id and d.status in ('pending', 'retrying')`.execute(trx);
        // One row per subscription: a success in the batch resets its failure streak.
        const succeeded = new Set(recorded.filter((j) => j.ok).map((j) => j.subscriptionId));
        const failures = new Map<string, number>();
        for (const j of recorded) if (!succeeded.has(j.subscriptionId)) failures.set(j.subscriptionId, (failures.get(j.subscriptionId) ?? 0) + 1);
        if (succeeded.size) {
          await trx
            .updateTable('webhook_subscriptions')
            .set({ consecutive_failures: 0, failing_since: null, last_success_at: sql`now()` })
            .where('id', 'in', [...succeeded])
            .execute();
        }
        for (const [id, n] of failures) {
          await trx
            .updateTable('webhook_subscriptions')
            .set({ consecutive_failures: sql`consecutive_failures + ${n}`, failing_since: sql`coalesce(failing_since, now())`, last_failure_at: sql`now()` })
            .where('id', '=', id)
            .execute();
        }
        const gone = [...new Set(recorded.filter((j) => j.gone).map((j) => j.subscriptionId))];
        if (gone.length) {
          await trx
            .updateTable('webhook_subscriptions')
            .set({ is_active: false, disabled_at: sql`now()`, disabled_reason: 'the endpoint answered 410 Gone' })
            .where('id', 'in', gone)
            .execute();
        }
        return gone;
      });
    let gone: string[] = [];
    for (let round = 1; ; round++) {
      try {
        gone = await write();
        break;
      } catch (err) {
        // Only a deadlock is retried here: these tries happened and must be recorded.
        if ((err as { code?: string }).code !== DEADLOCK || round >= 5) throw err;
      }
    }
    for (const id of gone) await stopSubscriptionDeliveries(db, temporal, id);
    return judged.map(({ status, waitSeconds }) => ({ status, waitSeconds }));
  }

  /** Shapes, signs and POSTs one delivery in its subscription's dialect. */
  async function send(
    args: AttemptArgs,
    row: {
      name: string; subscription_id: string; provider: string; url: string; secret_enc: string; previous_secret_enc: string | null; previous_secret_expires_at: Date | null;
      event_id: string; event_type: string; event_created_at: Date; subject_id: string; previous_status: string | null; payload: Record<string, unknown>;
    },
  ): Promise<Tried> {
    const provider = row.provider as ProviderName;
    const profile = PROFILES[provider];
    const eventType = row.event_type as CanonicalEvent;
    const messageId = messageIdFor(provider, eventType, row.event_id, row.name);
    const createdAt = new Date(row.event_created_at).toISOString();
    const envelope = profile.envelope({
      event: { id: row.event_id, type: eventType, created_at: createdAt, subject_id: row.subject_id, previous_status: row.previous_status, payload: row.payload },
      name: row.name,
      messageId,
    });
    const body = JSON.stringify(envelope);
    const secrets = [box.open(row.secret_enc)];
    if (row.previous_secret_enc && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date()) {
      secrets.push(box.open(row.previous_secret_enc));
    }
    const headers = signatureHeaders(provider, {
      body,
      secrets,
      timestamp: Math.floor(Date.now() / 1000),
      messageId,
      name: row.name,
      objectId: (envelope as { objectId?: string }).objectId ?? null,
      eventTimestamp: (envelope as { eventTimestamp?: string }).eventTimestamp ?? createdAt,
    });
    const startedAt = new Date();
    const outcome = await postOnce({ url: row.url, body, headers, timeoutMs: profile.timeoutMs, policy: config.urlPolicy });
    return { args, subscriptionId: row.subscription_id, outcome, startedAt };
  }

  /** Cancels those of the given deliveries that still had tries to make. */
  async function cancelOpen(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await db.updateTable('webhook_deliveries').set({ status: 'cancelled', next_retry_at: null }).where('id', 'in', ids).where('status', 'in', ['pending', 'retrying']).execute();
  }

  /** Tries already recorded (a replayed activity): their result as it stands. */
  const asRecorded = (row: { status: DeliveryStatus; next_retry_at: Date | null }): AttemptResult => ({
    status: row.status,
    waitSeconds: row.next_retry_at ? Math.max(0, Math.ceil((new Date(row.next_retry_at).getTime() - Date.now()) / 1000)) : 0,
  });

  return {
    /** The event's deliveries that still have tries to make (a workflow started without its plan). */
    async loadOpenDeliveries(input: { tenantId: string; eventId: string }): Promise<{ eventType: string; deliveries: PlannedDelivery[] }> {
      const event = await db.selectFrom('events').select('type').where('id', '=', input.eventId).where('tenant_id', '=', input.tenantId).executeTakeFirst();
      if (!event) return { eventType: 'unknown', deliveries: [] };
      const open = await openDeliveries(db, { eventIds: [input.eventId] });
      return { eventType: event.type, deliveries: open.map(({ eventId: _, ...d }) => d) };
    },

    /** A manual retry's series of tries (the API already moved the delivery to `retrying`). */
    async planRetry(input: { deliveryId: string }): Promise<PlannedDelivery | null> {
      const [open] = await openDeliveries(db, { deliveryIds: [input.deliveryId] });
      if (!open) return null;
      const { eventId: _, ...delivery } = open;
      return delivery;
    },

    /**
     * One signed POST for each given delivery, all at once, recorded together. An event's first
     * tries form one batch; each later try (its own schedule) is a batch of one.
     */
    async attemptDeliveries(input: { tries: AttemptArgs[] }): Promise<AttemptResult[]> {
      const rows = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        .innerJoin('events as e', 'e.id', 'd.event_id')
        .select([
          'd.id', 'd.status', 'd.attempt_count', 'd.next_retry_at', 'd.event_type as name', 'd.subscription_id',
          's.provider', 's.url', 's.is_active', 's.deleted_at', 's.secret_enc', 's.previous_secret_enc', 's.previous_secret_expires_at',
          'e.id as event_id', 'e.type as event_type', 'e.created_at as event_created_at', 'e.subject_id', 'e.previous_status', 'e.payload',
        ])
        .where('d.id', 'in', input.tries.map((t) => t.deliveryId))
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const results = new Map<string, AttemptResult>();
      const inactive: string[] = [];
      const sends: Promise<Tried>[] = [];
      for (const args of input.tries) {
        const row = byId.get(args.deliveryId);
        if (!row) results.set(args.deliveryId, { status: 'cancelled', waitSeconds: 0 });
        else if (row.attempt_count >= args.attempt) results.set(args.deliveryId, asRecorded(row));
        else if (row.status === 'succeeded' || row.status === 'cancelled') results.set(args.deliveryId, { status: row.status, waitSeconds: 0 });
        else if (!row.is_active || row.deleted_at) {
          inactive.push(row.id);
          results.set(args.deliveryId, { status: 'cancelled', waitSeconds: 0 });
        } else sends.push(send(args, row));
      }
      await cancelOpen(inactive);
      const tried = await Promise.all(sends);
      if (tried.length) {
        const recorded = await recordAttempts(tried);
        tried.forEach((t, i) => results.set(t.args.deliveryId, recorded[i]!));
      }
      return input.tries.map((t) => results.get(t.deliveryId)!);
    },

    /** Tries whose activity died (worker crash, timeout) count as failed tries. */
    async recordLostAttempts(input: { tries: AttemptArgs[]; error: string }): Promise<AttemptResult[]> {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['id', 'subscription_id', 'status', 'attempt_count', 'next_retry_at'])
        .where('id', 'in', input.tries.map((t) => t.deliveryId))
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const lost = input.tries.filter((t) => (byId.get(t.deliveryId)?.attempt_count ?? Infinity) < t.attempt);
      const outcome: AttemptOutcome = { statusCode: null, durationMs: 0, error: input.error.slice(0, 500), responseBody: null, responseTruncated: false, retryAfterSeconds: null };
      const recorded = lost.length ? await recordAttempts(lost.map((args) => ({ args, subscriptionId: byId.get(args.deliveryId)!.subscription_id, outcome, startedAt: new Date() }))) : [];
      const results = new Map(lost.map((t, i) => [t.deliveryId, recorded[i]!]));
      return input.tries.map((t) => {
        const row = byId.get(t.deliveryId);
        return results.get(t.deliveryId) ?? (row ? asRecorded(row) : { status: 'cancelled', waitSeconds: 0 });
      });
    },

    async cancelDelivery(input: { deliveryId: string }): Promise<void> {
      await cancelOpen([input.deliveryId]);
    },

    /**
     * Outbox sweep: whatever the live relay left behind (a crash between commit and start) starts
     * now, and deliveries whose retry is long overdue are handed back to their workflow.
     */
    async dispatchPendingEvents(input: { olderThanSeconds: number; limit: number }): Promise<number> {
      const target = { db, temporal, taskQueue: config.taskQueue };
      const relayed = await relayOutbox(target, input);
      const resumed = await resumeStrandedDeliveries(target, { overdueSeconds: STRANDED_AFTER_SECONDS, limit: input.limit });
      const count = relayed.stops + relayed.events + resumed;
      if (count) logger.info({ ...relayed, resumed }, 'outbox sweep started workflows');
      return count;
    },

    /** Switches off subscriptions per their dialect's rule; returns the ids switched off. */
    async checkSubscriptionHealth(): Promise<string[]> {
      const subs = await db
        .selectFrom('webhook_subscriptions')
        .select(['id', 'provider', 'failing_since'])
        .where('is_active', '=', true)
        .where('deleted_at', 'is', null)
        .where('failing_since', 'is not', null)
        .execute();
      const disabled: string[] = [];
      for (const sub of subs) {
        const policy = PROFILES[sub.provider as ProviderName].disable;
        const failingHours = (Date.now() - new Date(sub.failing_since!).getTime()) / 3_600_000;
        let reason: string | null = null;
        if (policy.kind === 'no_success' && failingHours >= policy.windowHours) {
          reason = `no successful delivery for ${Math.round(policy.windowHours / 24)} days`;
        } else if (policy.kind === 'failure_rate' && failingHours >= policy.windowHours) {
          const stats = await db
            .selectFrom('webhook_attempts as a')
            .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
            .select(({ fn }) => [fn.countAll<string>().as('total'), fn.sum<string>(sql`case when a.succeeded then 0 else 1 end`).as('failed')])
            .where('d.subscription_id', '=', sub.id)
            .where('a.started_at', '>', sql<Date>`now() - make_interval(hours => ${policy.windowHours})`)
            .executeTakeFirstOrThrow();
          const total = Number(stats.total);
          if (total > 0 && Number(stats.failed) / total > policy.threshold) {
            reason = `over ${Math.round(policy.threshold * 100)} % of deliveries failed for ${policy.windowHours} h`;
          }
        }
        if (!reason) continue;
        const res = await db
          .updateTable('webhook_subscriptions')
          .set({ is_active: false, disabled_at: sql`now()`, disabled_reason: reason, updated_at: sql`now()` })
          .where('id', '=', sub.id)
          .where('is_active', '=', true)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) continue;
        await stopSubscriptionDeliveries(db, temporal, sub.id);
        disabled.push(sub.id);
      }
      if (disabled.length) logger.warn({ subscriptions: disabled }, 'subscriptions switched off');
      return disabled;
    },

    /** Deletes events past their 7-day retention (their deliveries and tries go with them). */
    async purgeExpiredEvents(input: { limit: number }): Promise<number> {
      const res = await db
        .deleteFrom('events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('events as e')
            .select('e.id')
            .where('e.expires_at', '<', sql<Date>`now()`)
            .where(({ not, exists, selectFrom }) =>
              not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.status', 'in', ['pending', 'retrying']))),
            )
            .limit(input.limit),
        )
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
