/**
 * Starts the lifecycle workflow of each stop created through the API, right after its commit
 * (woken by NOTIFY, polling once a second as well). Imported stops are started by their import;
 * the periodic sweep starts any stop both missed.
 */
import { CHANNELS } from '../common/events/notify';
import type { Logger } from '../common/logger';
import { LIFECYCLE_BATCH, startPendingLifecycles, type StarterTarget } from '../activities/lifecycle-starts';
import { Coalescer, listen, type Listener } from './pg-listener';

const POLL_MS = 1_000;

export class LifecycleStarter {
  private listener: Listener | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly passes = new Coalescer(() => this.drain());

  constructor(
    private readonly target: StarterTarget,
    private readonly logger: Logger,
  ) {}

  start(databaseUrl: string): void {
    this.listener = listen(databaseUrl, CHANNELS.stops, () => this.passes.wake(), this.logger);
    this.poll = setInterval(() => this.passes.wake(), POLL_MS);
    this.poll.unref();
    this.passes.wake();
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    await this.listener?.stop();
    await this.passes.stop();
  }

  private async drain(): Promise<void> {
    try {
      while ((await startPendingLifecycles(this.target)) === LIFECYCLE_BATCH);
    } catch (err) {
      // Postgres or Temporal away: the next poll tries again.
      this.logger.warn({ err: (err as Error).message }, 'lifecycle starter pass failed');
    }
  }
}
