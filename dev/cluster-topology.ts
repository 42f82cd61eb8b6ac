/**
 * The production topology on one machine, without Docker: embedded Postgres, a real Temporal
 * server on it (dev/temporal-cluster.ts), two API replicas and two workers as separate
 * processes started from the compiled entry points with DATABASE_URL / TEMPORAL_ADDRESS exactly
 * as production sets them. `npm run cluster` runs it; `npm run drill -- --cluster` breaks it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS, PROCESS_ENV } from '../common/process-settings';
import { type HubProcess, spawnHubProcess } from './hub-process';
import { type EmbeddedPostgresHandle, PG_PASSWORD, PG_USER, startEmbeddedPostgres } from './postgres';
import { waitFor } from './processes';
import { type RunningTemporalCluster, startTemporalCluster } from './temporal-cluster';

export interface ClusterOptions {
  dataDir: string;
  pgPort: number;
  temporalPort: number;
  uiPort: number;
  /** API replicas listen on apiPort, apiPort + 1, …; workers' metrics on metricsPort, metricsPort + 10, …. */
  apiPort: number;
  metricsPort: number;
  apis?: number;
  workers?: number;
  taskQueue?: string;
  /** Extra settings for the hub's processes. */
  env?: Record<string, string>;
  log: (line: string) => void;
}

export interface RunningCluster {
  databaseUrl: string;
  temporalAddress: string;
  uiUrl?: string;
  apiUrls: string[];
  apis: HubProcess[];
  workers: HubProcess[];
  env: Record<string, string>;
  temporalPid(): number | undefined;
  startApi(i: number): Promise<HubProcess>;
  startWorker(i: number): Promise<HubProcess>;
  restartTemporal(): Promise<void>;
  restartPostgres(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A secret key kept with the cluster's data, so its sealed webhook secrets open after a restart. */
function clusterSecretKey(dataDir: string): string {
  const file = path.join(dataDir, 'secret-key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  mkdirSync(opts.dataDir, { recursive: true });
  const pgDir = path.join(opts.dataDir, 'postgres');
  let postgres: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir: pgDir, port: opts.pgPort, log: (l) => opts.log(`[postgres] ${l}`) });
  const temporal: RunningTemporalCluster = await startTemporalCluster({
    dataDir: path.join(opts.dataDir, 'temporal'),
    pg: { host: '127.0.0.1', port: opts.pgPort, user: PG_USER, password: PG_PASSWORD },
    ports: { frontend: opts.temporalPort, history: opts.temporalPort + 1, matching: opts.temporalPort + 2, worker: opts.temporalPort + 3, ui: opts.uiPort },
    log: opts.log,
  });
  // Exactly what production sets: a database URL over TCP and the frontend's address.
  const databaseUrl = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${opts.pgPort}/dispatch_hub`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    HUB_TASK_QUEUE: opts.taskQueue ?? 'dispatch-hub',
    HUB_SECRET_KEY: clusterSecretKey(opts.dataDir),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...PROCESS_ENV,
    ...opts.env,
  };
  const apiUrls = Array.from({ length: opts.apis ?? 2 }, (_, i) => `http://127.0.0.1:${opts.apiPort + i}`);
  const cluster: RunningCluster = {
    databaseUrl,
    temporalAddress: temporal.address,
    uiUrl: temporal.uiUrl,
    apiUrls,
    apis: [],
    workers: [],
    env,
    temporalPid: () => temporal.server.pid,
    startApi: async (i) => {
      const p = spawnHubProcess(`api-${i + 1}`, 'dist/api/main.js', { ...env, PORT: String(opts.apiPort + i) }, NODE_FLAGS);
      await waitFor(`api ${i + 1}`, async () => (await fetch(`${apiUrls[i]}/readyz`)).ok, 90_000);
      cluster.apis[i] = p;
      return p;
    },
    startWorker: async (i) => {
      const port = opts.metricsPort + i * 10;
      const p = spawnHubProcess(`worker-${i + 1}`, 'dist/worker/main.js', { ...env, HUB_METRICS_PORT: String(port) }, NODE_FLAGS);
      // Ready once its Temporal worker runs (the log line needs LOG_LEVEL=info) or its /readyz answers.
      await waitFor(`worker ${i + 1}`, async () => p.log.includes('worker running') || (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 90_000);
      cluster.workers[i] = p;
      return p;
    },
    restartTemporal: () => temporal.restart(),
    restartPostgres: async (downMs) => {
      await postgres.stop();
      await new Promise((r) => setTimeout(r, downMs));
      postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: opts.pgPort });
    },
    stop: async () => {
      await Promise.all([...cluster.apis, ...cluster.workers].map((p) => p?.stop('SIGTERM')));
      await temporal.stop();
      await postgres.stop();
    },
  };
  // Workers first: the first one to start creates the housekeeping Schedules.
  for (let i = 0; i < (opts.workers ?? 2); i++) await cluster.startWorker(i);
  for (let i = 0; i < apiUrls.length; i++) await cluster.startApi(i);
  return cluster;
}
