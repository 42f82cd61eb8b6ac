/**
 * How fast the lifecycle starter may start stops' workflows: additive-increase /
 * multiplicative-decrease on what Temporal shows it. While starts answer about as fast as they
 * do on an idle server and the lifecycle lane has no backlog, a starter with more stops than
 * budget speeds up by one start a second each pass; a slow start, a failed pass or a backlog
 * halves it, at most once a second. The ceiling is HUB_LIFECYCLE_STARTS_PER_SECOND.
 *
 * "Slow" is relative: a start that takes a few times its quickest means the server is busy with
 * something, most likely other tenants' moves, and starts nobody waits for should make room.
 * (An absolute bound of 200 ms let the starter take most of a 2-core machine's Temporal while
 * another tenant's moves took seconds, issue #22.)
 */

/** A start slower than this on average means the server is busy, whatever it did before. */
export const SLOW_START_MS = 200;
/** A start this many times slower than the quickest seen (and SLOW_MARGIN_MS more) means the server is busy. */
export const SLOW_FACTOR = 2.5;
export const SLOW_MARGIN_MS = 15;
/** The quickest start seen creeps up by this share per pass, so a server that became slower for good is learnt. */
const FLOOR_DRIFT = 0.0025;
/** More workflow tasks than this waiting on the lifecycle lane: moves are queueing behind starts. */
export const BACKLOG_TASKS = 10;
const FLOOR = 1;
const INITIAL = 10;
const DECREASE_EVERY_MS = 1_000;

export interface PassSeen {
  /** Started as many as the budget allowed (there were more waiting). */
  budgetFilled: boolean;
  /** Mean time one start took, when any was made. */
  meanStartMs: number | null;
  /** The lifecycle lane's workflow-task backlog. */
  backlogTasks: number;
  failed: boolean;
}

export class StartPace {
  perSecond: number;
  private lastDecrease = -Infinity;
  /** The quickest mean start seen (drifting up slowly). */
  private quickestMs = Infinity;

  constructor(private readonly ceiling: number) {
    this.perSecond = Math.min(ceiling, INITIAL);
  }

  /** True when Temporal says to back off before starting anything. */
  static congested(backlogTasks: number): boolean {
    return backlogTasks > BACKLOG_TASKS;
  }

  /** Whether a mean start time says the server is busy. */
  isSlow(meanStartMs: number): boolean {
    return meanStartMs > SLOW_START_MS || meanStartMs > Math.max(this.quickestMs * SLOW_FACTOR, this.quickestMs + SLOW_MARGIN_MS);
  }

  observe(seen: PassSeen, now = Date.now()): void {
    const slow = seen.failed || (seen.meanStartMs !== null && this.isSlow(seen.meanStartMs)) || StartPace.congested(seen.backlogTasks);
    if (seen.meanStartMs !== null) this.quickestMs = Math.min(seen.meanStartMs, this.quickestMs * (1 + FLOOR_DRIFT));
    if (slow) {
      if (now - this.lastDecrease < DECREASE_EVERY_MS) return;
      this.lastDecrease = now;
      this.perSecond = Math.max(FLOOR, this.perSecond / 2);
    } else if (seen.budgetFilled) {
      this.perSecond = Math.min(this.ceiling, this.perSecond + 1);
    }
  }
}
