/**
 * How fast the lifecycle starter may start stops' workflows: additive-increase /
 * multiplicative-decrease on what Temporal shows it. While starts answer quickly and the
 * lifecycle lane has no backlog, a starter with more stops than budget speeds up by a fifth a
 * pass; a slow start, a failed pass or a backlog (moves waiting behind starts) halves it, at
 * most once a second. The ceiling is HUB_LIFECYCLE_STARTS_PER_SECOND.
 */

/** A start slower than this on average means the server is busy. */
export const SLOW_START_MS = 200;
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

  constructor(private readonly ceiling: number) {
    this.perSecond = Math.min(ceiling, INITIAL);
  }

  /** True when Temporal says to back off before starting anything. */
  static congested(backlogTasks: number): boolean {
    return backlogTasks > BACKLOG_TASKS;
  }

  observe(seen: PassSeen, now = Date.now()): void {
    const slow = seen.failed || (seen.meanStartMs !== null && seen.meanStartMs > SLOW_START_MS) || StartPace.congested(seen.backlogTasks);
    if (slow) {
      if (now - this.lastDecrease < DECREASE_EVERY_MS) return;
      this.lastDecrease = now;
      this.perSecond = Math.max(FLOOR, this.perSecond / 2);
    } else if (seen.budgetFilled) {
      this.perSecond = Math.min(this.ceiling, this.perSecond + Math.max(1, this.perSecond / 5));
    }
  }
}
