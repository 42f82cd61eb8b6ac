/**
 * A LISTEN on one Postgres channel that survives the database going away: on a lost connection
 * it reconnects every 2 s. Its users poll as well, or stop trusting what they cached while it is
 * lost, so nothing waits on a notification alone.
 */
import { Client as PgClient } from 'pg';
import type { Channel } from '../events/notify';
import type { Logger } from '../logger';

const RECONNECT_MS = 2_000;

export interface Listener {
  stop(): Promise<void>;
}

/** Told when the LISTEN is in place (after a reconnect too) and when it is lost: notifications may have been missed between. */
export interface ListenerState {
  up?: () => void;
  lost?: () => void;
}

export function listen(databaseUrl: string, channel: Channel, onNotify: (payload: string) => void, logger: Logger, state: ListenerState = {}): Listener {
  let stopped = false;
  let client: PgClient | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new PgClient({ connectionString: databaseUrl, keepAlive: true });
    client = c;
    let failed = false;
    const retry = (err: Error): void => {
      if (failed) return;
      failed = true;
      state.lost?.();
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
      state.up?.();
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

