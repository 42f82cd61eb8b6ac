/**
 * Runs beside the worker: starts the workflows of whatever was just committed (see
 * common/events/outbox.ts). It wakes on the outbox's NOTIFY, and polls once a second as well, so
 * a notification lost while Postgres was away only delays a start. Every worker runs one; two
 * relays that pick the same rows only repeat a start, which Temporal refuses by workflow id.
 */
import { Client as PgClient } from 'pg';
import type { Logger } from '../common/logger';
import { OUTBOX_CHANNEL, relayOutbox, type RelayTarget } from '../common/events/outbox';

const BATCH = 100;
const POLL_MS = 1_000;
const RECONNECT_MS = 2_000;

export class OutboxRelay {
  private listener: PgClient | undefined;
  private timers = new Set<NodeJS.Timeout>();
  /** The pass under way. One at a time per worker: several at once were measured slower. */
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly target: RelayTarget,
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.listen();
    const poll = setInterval(() => this.wake(), POLL_MS);
    poll.unref();
    this.timers.add(poll);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.listener?.end().catch(() => undefined);
    await this.running;
  }

  /** Runs a pass now, or right after the one under way. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const { stops, events } = await relayOutbox(this.target, { limit: BATCH });
        if (stops < BATCH && events < BATCH) return;
      }
    } catch (err) {
      // Postgres or Temporal away: the next poll tries again.
      this.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed');
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new PgClient({ connectionString: this.databaseUrl });
    this.listener = client;
    let failed = false;
    const retry = (err: Error): void => {
      if (failed) return;
      failed = true;
      this.logger.warn({ err: err.message }, 'outbox listener lost; polling until it is back');
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.listen();
      }, RECONNECT_MS);
      t.unref();
      this.timers.add(t);
    };
    client.on('notification', () => this.wake());
    client.on('error', retry);
    try {
      await client.connect();
      await client.query(`listen ${OUTBOX_CHANNEL}`);
    } catch (err) {
      retry(err as Error);
    }
  }
}
