/**
 * Webhook delivery steps: planning an event's deliveries, one HTTP try, recording tries, and
 * the periodic jobs (outbox sweep, subscription health, event retention).
 */
import { sql } from 'kysely';
import type { DeliveryStatus } from '../common/db/schema';
import { relayOutbox } from '../common/events/outbox';
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

export function webhookActivities({ db, temporal, config, logger }: ActivityDeps) {
  const box = new SecretBox(config.secretKey);

  /** Stores one try and its consequences on the delivery and the subscription, in one transaction. */
  async function recordAttempt(args: AttemptArgs, outcome: AttemptOutcome, startedAt: Date, subscriptionId: string): Promise<AttemptResult> {
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
    const error = outcome.error ?? (ok ? null : `HTTP ${outcome.statusCode}`);

    await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: args.deliveryId,
          attempt_number: args.attempt,
          started_at: startedAt,
          duration_ms: outcome.durationMs,
          status_code: outcome.statusCode,
          error,
          response_body: outcome.responseBody,
          response_truncated: outcome.responseTruncated,
          succeeded: ok,
        })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt_number']).doNothing())
        .returning('attempt_number')
        .executeTakeFirst();
      if (!inserted) return; // this try was recorded already
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status,
          attempt_count: args.attempt,
          response_status: outcome.statusCode,
          response_time_ms: outcome.durationMs,
          error_message: error,
          first_attempted_at: sql`coalesce(first_attempted_at, ${startedAt})`,
          last_attempted_at: startedAt,
          next_retry_at: status === 'retrying' ? new Date(Date.now() + waitSeconds * 1000) : null,
          delivered_at: ok ? new Date() : null,
          failed_at: status === 'failed' ? new Date() : null,
        })
        .where('id', '=', args.deliveryId)
        .where('status', 'in', ['pending', 'retrying'])
        .execute();
      await trx
        .updateTable('webhook_subscriptions')
        .set(
          ok
            ? { consecutive_failures: 0, failing_since: null, last_success_at: sql`now()` }
            : {
                consecutive_failures: sql`consecutive_failures + 1`,
                failing_since: sql`coalesce(failing_since, now())`,
                last_failure_at: sql`now()`,
                ...(gone ? { is_active: false, disabled_at: sql`now()`, disabled_reason: 'the endpoint answered 410 Gone' } : {}),
              },
        )
        .where('id', '=', subscriptionId)
        .execute();
    });
    if (gone) await stopSubscriptionDeliveries(db, temporal, subscriptionId);
    return { status, waitSeconds };
  }

  const previousResult = async (args: AttemptArgs): Promise<AttemptResult | null> => {
    const done = await db
      .selectFrom('webhook_deliveries')
      .select(['status', 'next_retry_at'])
      .where('id', '=', args.deliveryId)
      .where('attempt_count', '>=', args.attempt)
      .executeTakeFirst();
    if (!done) return null;
    const wait = done.next_retry_at ? Math.max(0, Math.ceil((new Date(done.next_retry_at).getTime() - Date.now()) / 1000)) : 0;
    return { status: done.status, waitSeconds: wait };
  };

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

    /** Exactly one signed POST of one delivery, recorded. */
    async attemptDelivery(args: AttemptArgs): Promise<AttemptResult> {
      const recorded = await previousResult(args);
      if (recorded) return recorded;
      const row = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        .innerJoin('events as e', 'e.id', 'd.event_id')
        .select([
          'd.status', 'd.event_type as name', 'd.subscription_id',
          's.provider', 's.url', 's.is_active', 's.deleted_at', 's.secret_enc', 's.previous_secret_enc', 's.previous_secret_expires_at',
          'e.id as event_id', 'e.type as event_type', 'e.created_at as event_created_at', 'e.subject_id', 'e.previous_status', 'e.payload',
        ])
        .where('d.id', '=', args.deliveryId)
        .executeTakeFirst();
      if (!row || row.status === 'succeeded' || row.status === 'cancelled') return { status: row?.status ?? 'cancelled', waitSeconds: 0 };
      if (!row.is_active || row.deleted_at) {
        await db.updateTable('webhook_deliveries').set({ status: 'cancelled', next_retry_at: null }).where('id', '=', args.deliveryId).where('status', 'in', ['pending', 'retrying']).execute();
        return { status: 'cancelled', waitSeconds: 0 };
      }
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
      const outcome = await postOnce({ url: row.url, body, headers, timeoutMs: profile.timeoutMs, allowPrivate: config.allowPrivateUrls });
      return recordAttempt(args, outcome, startedAt, row.subscription_id);
    },

    /** A try whose activity died (worker crash, timeout) counts as a failed try. */
    async recordLostAttempt(args: AttemptArgs & { error: string }): Promise<AttemptResult> {
      const recorded = await previousResult(args);
      if (recorded) return recorded;
      const sub = await db.selectFrom('webhook_deliveries').select('subscription_id').where('id', '=', args.deliveryId).executeTakeFirstOrThrow();
      return recordAttempt(
        args,
        { statusCode: null, durationMs: 0, error: args.error.slice(0, 500), responseBody: null, responseTruncated: false, retryAfterSeconds: null },
        new Date(),
        sub.subscription_id,
      );
    },

    async cancelDelivery(input: { deliveryId: string }): Promise<void> {
      await db.updateTable('webhook_deliveries').set({ status: 'cancelled', next_retry_at: null }).where('id', '=', input.deliveryId).where('status', 'in', ['pending', 'retrying']).execute();
    },

    /** Outbox sweep: whatever the live relay left behind (a crash between commit and start) starts now. */
    async dispatchPendingEvents(input: { olderThanSeconds: number; limit: number }): Promise<number> {
      const relayed = await relayOutbox({ db, temporal, taskQueue: config.taskQueue }, input);
      const count = relayed.stops + relayed.events;
      if (count) logger.info(relayed, 'outbox sweep started workflows');
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
