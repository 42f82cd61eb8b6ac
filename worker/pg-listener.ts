/**
 * A LISTEN on one Postgres channel that survives the database going away: on a lost connection
 * it reconnects every 2 s. Its users poll as well, so nothing waits on a notification alone.
 */
import { Client as PgClient } from 'pg';
import type { Channel } from '../common/events/notify';
import type { Logger } from '../common/logger';

const RECONNECT_MS = 2_000;

export interface Listener {
  stop(): Promise<void>;
}

export function listen(databaseUrl: string, channel: Channel, onNotify: (payload: string) => void, logger: Logger): Listener {
  let stopped = false;
  let client: PgClient | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new PgClient({ connectionString: databaseUrl });
    client = c;
    let failed = false;
    const retry = (err: Error): void => {
      if (failed) return;
      failed = true;
      logger.warn({ err: err.message, channel }, 'listener lost; polling until it is back');
      c.removeAllListeners();
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      if (stopped) return;
      timer = setTimeout(() => void connect(), RECONNECT_MS);
      timer.unref();
    };
    c.on('notification', (n) => onNotify(n.payload ?? ''));
    c.on('error', retry);
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
    } catch (err) {
      retry(err as Error);
    }
  };
  void connect();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Runs `pass` now, or right after the one under way: never two at once, never a wake-up lost.
 * Used by the queue consumer and the lifecycle starter.
 */
export class Coalescer {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly pass: () => Promise<void>) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
