/** One pg pool and the Kysely instance on top of it. */
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Logger } from '../logger';
import type { Database } from './schema';

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  pool: Pool;
  close(): Promise<void>;
}

export function connectDatabase(url: string, opts: { poolSize?: number; logger?: Logger } = {}): DbHandle {
  const pool = new Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would
  // crash the process. The next query simply gets a fresh connection (or a clean failure).
  pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'postgres idle client error'));
  // A client checked out between two statements of a transaction is not covered by the pool's
  // handler; if the server goes away then, its 'error' would crash the process. The work it was
  // doing fails and is retried instead.
  pool.on('connect', (client) => {
    client.on('error', (err) => opts.logger?.warn({ err: err.message }, 'postgres connection lost'));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: async () => {
      await db.destroy();
    },
  };
}
