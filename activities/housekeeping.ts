/**
 * The periodic jobs (run by Temporal Schedules, see worker/schedules.ts): the sweep that finishes
 * what a crash or an outage left undone, switching off subscriptions that keep failing, and
 * retention.
 */
import { sql } from 'kysely';
import { PROFILES } from '../common/dialects/profiles';
import { stopSubscriptionDeliveries } from '../common/subscriptions/subscription-stop';
import { startPendingLifecycles } from '../worker/lifecycle-starts';
import type { HousekeepingActivities } from '../common/temporal/housekeeping';
import { type SubscriptionWatchActivities, subscriptionWatchOptions } from '../common/temporal/subscription-watch';
import { subscriptionWatchWorkflow } from '../workflows/subscription-watch';
import type { ActivityDeps } from './deps';
import { hostOf, wakeRetryTimers } from '../common/deliveries/retry-wake';

import { subscriptionRetriesWorkflow } from '../workflows/subscription-retries';

/** A waiting try this far past due has a timer that did not hear of it (a lost wake-up, a terminated timer). */
const OVERDUE_SECONDS = 30;

export function housekeepingActivities({ db, temporal, config, logger }: ActivityDeps): HousekeepingActivities & SubscriptionWatchActivities {
  /** Tries of the subscription since `since`, and how many failed. */
  const failureCounts = async (subscriptionId: string, since: Date): Promise<{ tries: number; failed: number }> => {
    const stats = await db
      .selectFrom('webhook_attempts as a')
      .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
      .select(({ fn }) => [fn.countAll<string>().as('tries'), fn.sum<string>(sql`case when a.succeeded then 0 else 1 end`).as('failed')])
      .where('d.subscription_id', '=', subscriptionId)
      .where('a.started_at', '>=', since)
      .executeTakeFirstOrThrow();
    return { tries: Number(stats.tries), failed: Number(stats.failed ?? 0) };
  };

  /** Switches the subscription off (once) and stops its pending deliveries. */
  const switchOff = async (subscriptionId: string, reason: string): Promise<boolean> => {
    const res = await db
      .updateTable('webhook_subscriptions')
      .set({ is_active: false, disabled_at: sql`now()`, disabled_reason: reason, updated_at: sql`now()` })
      .where('id', '=', subscriptionId)
      .where('is_active', '=', true)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await stopSubscriptionDeliveries(db, temporal, subscriptionId);
    return true;
  };

  /** Over the line in the last window: a watch judges the next one (joining a watch already running). */
  const watchIfFailing = async (subscriptionId: string, policy: { windowHours: number; threshold: number }): Promise<void> => {
    const { tries, failed } = await failureCounts(subscriptionId, new Date(Date.now() - policy.windowHours * 3_600_000));
    if (tries === 0 || failed / tries <= policy.threshold) return;
    await temporal.workflow.start(subscriptionWatchWorkflow, subscriptionWatchOptions(config.taskQueues.timers, { subscriptionId, ...policy }));
  };

  return {
    /**
     * Starts lifecycle workflows nobody started (after a minute: the starters pace themselves),
     * and wakes the retry timers of subscriptions whose waiting tries are overdue. Every step is
     * idempotent.
     */
    async sweepOutbox(input) {
      const target = { db, temporal, taskQueue: config.taskQueues.lifecycle };
      const { started } = await startPendingLifecycles(target, { limit: input.limit, minAgeMs: 60_000 });
      const overdue = await db
        .selectFrom('webhook_subscriptions as s')
        .select(['s.id', 's.tenant_id', 's.partner_id', 's.provider', 's.url'])
        .select((eb) =>
          eb
            .selectFrom('webhook_deliveries as d')
            .select((x) => x.fn.min('d.next_retry_at').as('due'))
            .whereRef('d.subscription_id', '=', 's.id')
            .where('d.status', '=', 'retrying')
            .as('due'),
        )
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('webhook_deliveries as d')
              .select('d.id')
              .whereRef('d.subscription_id', '=', 's.id')
              .where('d.status', '=', 'retrying')
              .where('d.next_retry_at', '<', sql<Date>`now() - make_interval(secs => ${OVERDUE_SECONDS})`),
          ),
        )
        .limit(input.limit)
        .execute();
      const woken = await wakeRetryTimers(
        { temporal, taskQueue: config.taskQueues.timers, workflow: subscriptionRetriesWorkflow },
        overdue.map((s) => ({ input: { subscriptionId: s.id, tenantId: s.tenant_id, partnerId: s.partner_id, provider: s.provider, host: hostOf(s.url) }, at: s.due ?? new Date() })),
      );
      if (started || woken.length) logger.info({ lifecycles_started: started, retry_timers_woken: woken.length }, 'sweep finished work left undone');
      return started + woken.length;
    },

    async checkSubscriptionHealth() {
      const subs = await db
        .selectFrom('webhook_subscriptions')
        .select(['id', 'provider', 'failing_since', 'last_failure_at'])
        .where('is_active', '=', true)
        .where('deleted_at', 'is', null)
        .where((eb) => eb.or([eb('failing_since', 'is not', null), eb('last_failure_at', '>', sql<Date>`now() - interval '1 day'`)]))
        .execute();
      const disabled: string[] = [];
      for (const sub of subs) {
        const policy = PROFILES[sub.provider].disable;
        if (policy.kind === 'failure_rate') {
          await watchIfFailing(sub.id, policy);
          continue;
        }
        if (!sub.failing_since || Date.now() - new Date(sub.failing_since).getTime() < policy.windowHours * 3_600_000) continue;
        if (await switchOff(sub.id, `no successful delivery for ${Math.round(policy.windowHours / 24)} days`)) disabled.push(sub.id);
      }
      if (disabled.length) logger.warn({ subscriptions: disabled }, 'subscriptions switched off');
      return disabled;
    },

    async beginFailureWatch() {
      const { rows } = await sql<{ now: Date }>`select now()`.execute(db);
      return rows[0]!.now.toISOString();
    },

    async judgeFailureWatch(input) {
      const { tries, failed } = await failureCounts(input.subscriptionId, new Date(input.since));
      const over = tries > 0 && failed / tries > input.threshold;
      const disabled = over && (await switchOff(input.subscriptionId, `over ${Math.round(input.threshold * 100)} % of deliveries failed for ${input.windowHours} h`));
      if (disabled) logger.warn({ subscription_id: input.subscriptionId, tries, failed }, 'subscription switched off for its failure rate');
      return { disabled, tries, failed };
    },

    async purgeExpiredRecords() {
      const keys = await db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
      const windows = await db.deleteFrom('rate_limits').where('expire', '<', sql<string>`(extract(epoch from now()) * 1000)::bigint`).executeTakeFirst();
      return Number(keys.numDeletedRows) + Number(windows.numDeletedRows);
    },

    /** Events past their 7-day retention go; their deliveries and tries go with them. */
    async purgeExpiredEvents(input) {
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
