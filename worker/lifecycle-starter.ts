/**
 * Starts the lifecycle workflow of each new stop (created or imported), at a bounded rate. A
 * stop's first move starts its workflow itself (Update-with-Start), so the starter waits a
 * little (HUB_LIFECYCLE_START_DELAY_MS) and only takes the stops no move has reached; a burst of
 * creations or a large import is worked through at HUB_LIFECYCLE_STARTS_PER_SECOND instead of
 * taking the Temporal server's whole capacity from everyone's deliveries and moves; it also
 * waits while the delivery queue is behind.
 */
import type { Logger } from '../common/logger';
import { startPendingLifecycles, type StarterTarget } from '../activities/lifecycle-starts';
import { Coalescer } from './pg-listener';

const TICK_MS = 250;

export interface StarterPace {
  perSecond: number;
  minAgeMs: number;
}

export class LifecycleStarter {
  private timer: NodeJS.Timeout | undefined;
  /** Starts this pass may make: the pace's share of the time since the last pass, capped at a second's worth. */
  private budget = 0;
  private last = Date.now();
  private readonly passes = new Coalescer(() => this.pass());

  constructor(
    private readonly target: StarterTarget,
    private readonly pace: StarterPace,
    private readonly logger: Logger,
    /** Deliveries come first: while this says so, the starter waits. */
    private readonly deliveriesBehind: () => boolean = () => false,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.passes.wake(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.passes.stop();
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    this.budget = Math.min(this.pace.perSecond, this.budget + ((now - this.last) / 1000) * this.pace.perSecond);
    this.last = now;
    if (this.budget < 1 || this.deliveriesBehind()) return;
    try {
      this.budget -= await startPendingLifecycles(this.target, { limit: Math.floor(this.budget), minAgeMs: this.pace.minAgeMs });
    } catch (err) {
      // Postgres or Temporal away: the next tick tries again.
      this.logger.warn({ err: (err as Error).message }, 'lifecycle starter pass failed');
    }
  }
}
