/**
 * Takes due deliveries from the Postgres queue and sends them, outside any workflow task.
 *
 * Each claim takes, per subscription, only as many deliveries as that subscription has room
 * for (HUB_SUBSCRIPTION_CONCURRENCY in flight across all workers, counted by unexpired leases),
 * oldest-waiting subscription first, and leases them (`FOR UPDATE SKIP LOCKED`, so workers never
 * take the same row). A receiver that hangs therefore holds at most its own few slots; everyone
 * else's deliveries keep flowing. A lease outlives the dialect's timeout; if a worker dies
 * holding one, the delivery is taken again when it runs out (same message id).
 *
 * Claiming and sending are two loops: claims go on while a big claim is still being sent, and
 * what was claimed waits in a FairQueue, subscriptions in turns, sent a slice at a time. Building
 * and signing a try is synchronous, so sending a claim of hundreds in one go (an import to 25
 * failing receivers) held another tenant's next claim, and the answers already in, behind it.
 */
import type { QueueLimits } from '../../common/config';
import type { Db } from '../../common/db/connect';
import { CHANNELS } from '../../common/events/notify';
import type { Logger } from '../../common/logger';
import { listen, type Listener } from '../../common/db/listen';
import { Coalescer } from '../coalescer';
import { FairQueue } from './fair-queue';
import { cancelLeased, type ClaimedDelivery, claimDue } from '../../common/deliveries/moves';
import type { SendTry, SentTry } from './send-try';
import type { TryRecorder } from './try-recorder';

/** Tries built and sent before the event loop takes answers, notifications and claims again. */
const SEND_SLICE = 8;

export class DeliveryQueueConsumer {
  /** Claimed and not yet recorded: waiting to be sent, or being sent. */
  private inFlight = 0;
  private readonly claimed = new FairQueue<ClaimedDelivery>();
  /** The last claim found more due work than it could take. */
  private behind = false;
  private listener: Listener | undefined;
  private poll: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private readonly dueTimers = new Set<NodeJS.Timeout>();
  private readonly passes = new Coalescer(() => this.drain());
  private readonly sending = new Coalescer(() => this.sendClaimed());

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
    await this.sending.stop();
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
        for (const d of claimed) this.claimed.push(d.subscription_id, d);
        this.inFlight += claimed.length;
        if (claimed.length > 0) this.sending.wake();
        this.behind = claimed.length === room;
        if (!this.behind) return;
      }
    } catch (err) {
      // Postgres away: the next poll tries again.
      logger.warn({ err: (err as Error).message }, 'delivery queue claim failed');
    }
  }

  private async sendClaimed(): Promise<void> {
    while (this.claimed.size > 0) {
      for (let i = 0; i < SEND_SLICE && this.claimed.size > 0; i++) this.dispatch(this.claimed.shift()!);
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private dispatch(d: ClaimedDelivery): void {
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
      await cancelLeased(this.deps.db, d.id);
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
