/**
 * Starts the lifecycle workflow of each new stop (created or imported) that no move has reached.
 * A stop's first move starts its workflow itself (Update-with-Start), so the starter waits a
 * little (HUB_LIFECYCLE_START_DELAY_MS) and takes the rest, tenants in turn, at a pace that
 * follows what Temporal can take (worker/start-pace.ts: its own start latency and the lifecycle
 * lane's backlog, up to HUB_LIFECYCLE_STARTS_PER_SECOND), so a burst of creations or a large
 * import never takes the server's capacity from everyone's moves; it also waits while the
 * delivery queue is behind.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { METRICS } from '../common/metrics/registry';
import { workflowTaskBacklog } from '../common/temporal/task-queue-backlog';
import { startPendingLifecycles, type StarterTarget } from './lifecycle-starts';
import { Coalescer } from './coalescer';
import { StartPace } from './start-pace';

const TICK_MS = 250;
/** How often the lanes' backlogs are read from the server. */
const BACKLOG_EVERY_MS = 1_000;

export interface StarterPace {
  /** The ceiling: the pace never goes above it. */
  perSecond: number;
  minAgeMs: number;
}

/** Reads the workflow-task backlog of each lane now and then, for the pace and the dashboard. */
export class LaneBacklogs {
  private readonly latest = new Map<string, number>();
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly temporal: Client,
    private readonly queues: readonly string[],
  ) {}

  /** The last reading of `queue` (0 until the first), refreshed in the background. */
  of(queue: string): number {
    if (Date.now() - this.readAt > BACKLOG_EVERY_MS && !this.reading) this.reading = this.read().finally(() => (this.reading = undefined));
    return this.latest.get(queue) ?? 0;
  }

  private async read(): Promise<void> {
    this.readAt = Date.now();
    await Promise.all(
      this.queues.map(async (queue) => {
        try {
          const tasks = await workflowTaskBacklog(this.temporal, queue);
          this.latest.set(queue, tasks);
          METRICS.taskQueueBacklog.set({ task_queue: queue }, tasks);
        } catch {
          // Temporal away: the starts fail too, and that slows the pace.
        }
      }),
    );
  }
}

export class LifecycleStarter {
  private timer: NodeJS.Timeout | undefined;
  /** Starts this pass may make: the pace's share of the time since the last pass, capped at a second's worth. */
  private budget = 0;
  private last = Date.now();
  private readonly passes = new Coalescer(() => this.pass());
  readonly pace: StartPace;

  constructor(
    private readonly target: StarterTarget,
    private readonly limits: StarterPace,
    private readonly logger: Logger,
    /** Deliveries come first: while this says so, the starter waits. */
    private readonly deliveriesBehind: () => boolean = () => false,
    private readonly backlogs = new LaneBacklogs(target.temporal, [target.taskQueue]),
  ) {
    this.pace = new StartPace(limits.perSecond);
  }

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
    const perSecond = this.pace.perSecond;
    this.budget = Math.min(perSecond, this.budget + ((now - this.last) / 1000) * perSecond);
    this.last = now;
    METRICS.lifecycleStartPace.set(perSecond);
    const backlogTasks = this.backlogs.of(this.target.taskQueue);
    if (this.deliveriesBehind()) return;
    if (StartPace.congested(backlogTasks)) {
      this.pace.observe({ budgetFilled: false, meanStartMs: null, backlogTasks, failed: false });
      return;
    }
    if (this.budget < 1) return;
    const limit = Math.floor(this.budget);
    try {
      const made = await startPendingLifecycles(this.target, { limit, minAgeMs: this.limits.minAgeMs });
      this.budget -= made.started;
      this.pace.observe({ budgetFilled: made.started >= limit, meanStartMs: made.meanStartMs, backlogTasks, failed: false });
    } catch (err) {
      // Postgres or Temporal away: slow down; the next tick tries again.
      this.pace.observe({ budgetFilled: false, meanStartMs: null, backlogTasks, failed: true });
      this.logger.warn({ err: (err as Error).message }, 'lifecycle starter pass failed');
    }
  }
}
