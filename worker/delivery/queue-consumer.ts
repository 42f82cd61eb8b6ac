/**
 * Takes due deliveries from the Postgres queue and sends them, outside any workflow task.
 *
 * Each claim takes, per subscription, only as many deliveries as that subscription has room
 * for (HUB_SUBSCRIPTION_CONCURRENCY in flight across all workers, counted by unexpired leases),
 * oldest-waiting subscription first, and leases them (`FOR UPDATE SKIP LOCKED`, so workers never
 * take the same row). A receiver that hangs therefore holds at most its own few slots; everyone
 * else's deliveries keep flowing. A lease outlives the dialect's timeout; if a worker dies
 * holding one, the delivery is taken again when it runs out (same message id).
 */
import { sql } from 'kysely';
import type { QueueLimits } from '../../common/config';
import type { Db } from '../../common/db/connect';
import { CHANNELS } from '../../common/events/notify';
import type { Logger } from '../../common/logger';
import { PROFILES, PROVIDERS } from '../../common/webhooks/profiles';
import { Coalescer, listen, type Listener } from '../pg-listener';
import type { ClaimedDelivery, SendTry, SentTry } from './send-try';
import type { TryRecorder } from './try-recorder';

/** Seconds a claimed delivery is held: the dialect's timeout plus room to record the result. */
const LEASE_MARGIN_SECONDS = 15;
const leaseSeconds = sql.join(
  PROVIDERS.map((p) => sql`when ${p} then ${Math.ceil(PROFILES[p].timeoutMs / 1000) + LEASE_MARGIN_SECONDS}::int`),
  sql` `,
);
/** Subscriptions considered per claim (the ones waiting longest). */
const SUBSCRIPTIONS_PER_CLAIM = 500;

/**
 * Claims up to `limit` due deliveries, at most `perSubscription` in flight per subscription.
 * Tenants take turns: the claim goes round every tenant's longest-waiting subscription first,
 * then their second, and so on, one delivery each per round, so a tenant with thousands of due
 * deliveries (an import to 25 failing receivers) takes one turn per round like everyone else.
 */
export async function claimDue(db: Db, limit: number, perSubscription: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    with due as (
      select subscription_id, min(next_retry_at) as oldest,
        row_number() over (partition by coalesce(tenant_id, partner_id::text) order by min(next_retry_at)) as turn
      from webhook_deliveries
      where status = 'pending' and next_retry_at <= now() and (lease_until is null or lease_until < now())
      group by subscription_id, coalesce(tenant_id, partner_id::text)
      order by turn, oldest
      limit ${SUBSCRIPTIONS_PER_CLAIM}
    ), busy as (
      select subscription_id, count(*)::int as n from webhook_deliveries
      where status = 'pending' and lease_until >= now() and subscription_id in (select subscription_id from due)
      group by subscription_id
    ), picked as (
      select p.id from due
      left join busy using (subscription_id)
      cross join lateral (
        -- Row locks and window functions do not mix in one select: number the locked rows outside.
        select l.id, row_number() over (order by l.next_retry_at, l.id) as place from (
          select w.id, w.next_retry_at from webhook_deliveries w
          where w.subscription_id = due.subscription_id and w.status = 'pending' and w.next_retry_at <= now()
            and (w.lease_until is null or w.lease_until < now())
          order by w.next_retry_at, w.id
          limit greatest(0, ${perSubscription} - coalesce(busy.n, 0))
          for update of w skip locked
        ) l
      ) p
      order by p.place, due.turn, due.oldest
      limit ${limit}
    )
    update webhook_deliveries d
    set lease_until = now() + make_interval(secs => case s.provider ${leaseSeconds} else ${30 + LEASE_MARGIN_SECONDS}::int end)
    from picked, webhook_subscriptions s, events e left join stops st on e.subject_type = 'stop' and st.id = e.subject_id
    where d.id = picked.id and s.id = d.subscription_id and e.id = d.event_id
    returning d.id, d.tenant_id, d.partner_id, d.subscription_id, d.event_type as name, d.attempt_count, d.max_attempts, d.retry_base,
      s.provider, s.url, s.secret_enc, s.previous_secret_enc, s.previous_secret_expires_at, s.retry_schedule,
      (s.is_active and s.deleted_at is null) as subscription_active,
      e.id as event_id, e.type as event_type, e.created_at as event_created_at, e.subject_id, e.previous_status, e.payload,
      st.trip_id`.execute(db);
  return rows;
}

export class DeliveryQueueConsumer {
  private inFlight = 0;
  /** The last claim found more due work than it could take. */
  private behind = false;
  private listener: Listener | undefined;
  private poll: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private readonly dueTimers = new Set<NodeJS.Timeout>();
  private readonly passes = new Coalescer(() => this.drain());

  constructor(
    private readonly deps: { db: Db; send: SendTry; recorder: TryRecorder; logger: Logger; limits: QueueLimits },
  ) {}

  start(databaseUrl: string): void {
    this.listener = listen(databaseUrl, CHANNELS.deliveries, (payload) => this.wakeFor(payload), this.deps.logger);
    this.poll = setInterval(() => this.passes.wake(), this.deps.limits.pollMs);
    this.poll.unref();
    this.passes.wake();
  }

  /**
   * A notification wakes a pass now; one that names a time (retries requeued ahead of their
   * due time by their subscription's timer) also wakes one then, so they go out on the dot.
   */
  private wakeFor(payload: string): void {
    this.passes.wake();
    // A little late rather than early: the claim goes by the database's clock.
    const inMs = Date.parse(payload) - Date.now() + 25;
    if (!(inMs > 0)) return;
    const timer = setTimeout(() => {
      this.dueTimers.delete(timer);
      this.passes.wake();
    }, Math.min(inMs, 60_000));
    timer.unref();
    this.dueTimers.add(timer);
  }

  /** Whether deliveries are waiting for room: background work (lifecycle starts) should wait. */
  get busy(): boolean {
    return this.behind;
  }

  /** Stops claiming, then waits for every try in flight to be sent and recorded. */
  async stop(): Promise<void> {
    clearInterval(this.poll);
    for (const timer of this.dueTimers) clearTimeout(timer);
    await this.listener?.stop();
    await this.passes.stop();
    if (this.inFlight > 0) await new Promise<void>((r) => (this.idle = r));
    await this.deps.recorder.drain();
  }

  private async drain(): Promise<void> {
    const { db, limits, logger } = this.deps;
    try {
      for (;;) {
        const room = Math.min(limits.batch, limits.maxInFlight - this.inFlight);
        if (room <= 0) {
          this.behind = true;
          return; // a finishing try wakes the next pass
        }
        const claimed = await claimDue(db, room, limits.perSubscription);
        for (const d of claimed) this.dispatch(d);
        this.behind = claimed.length === room;
        if (!this.behind) return;
      }
    } catch (err) {
      // Postgres away: the next poll tries again.
      logger.warn({ err: (err as Error).message }, 'delivery queue claim failed');
    }
  }

  private dispatch(d: ClaimedDelivery): void {
    this.inFlight++;
    void this.sendAndRecord(d)
      .catch((err: unknown) => this.deps.logger.error({ err: (err as Error).message, delivery_id: d.id }, 'delivery try lost before it was recorded'))
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.idle?.();
        this.passes.wake();
      });
  }

  private async sendAndRecord(d: ClaimedDelivery): Promise<void> {
    if (!d.subscription_active) {
      await this.deps.db.updateTable('webhook_deliveries').set({ status: 'cancelled', next_retry_at: null, lease_until: null }).where('id', '=', d.id).where('status', '=', 'pending').execute();
      return;
    }
    let sent: SentTry;
    try {
      sent = await this.deps.send(d);
    } catch (err) {
      // Building or signing failed (a secret that no longer decrypts, say): a failed try like any
      // other, recorded and retried on schedule, never a silent loop of leases.
      const now = new Date();
      sent = {
        delivery: d,
        attempt: d.attempt_count + 1,
        startedAt: now,
        endedAt: now,
        outcome: { statusCode: null, durationMs: 0, error: `the hub could not prepare this delivery: ${(err as Error).message}`.slice(0, 300), responseBody: null, responseTruncated: false, retryAfterSeconds: null },
      };
    }
    await this.deps.recorder.record(sent);
  }
}
