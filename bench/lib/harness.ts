/**
 * A complete hub for measurements: embedded Postgres and Temporal in a temporary folder, the API
 * and the worker as their own processes (so their memory can be read), a tenant and key.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiKey, createTenant } from '../../common/auth/api-keys';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { openServices, type Services } from '../../common/runtime';
import { startCluster } from '../../dev/cluster-topology';
import { freePort, waitFor } from '../../dev/processes';
import { startEmbeddedPostgres } from '../../dev/postgres';
import { type EmbeddedStack, startEmbeddedStack } from '../../dev/stack';
import { startTemporalDevServer } from '../../dev/temporal-server';
import { ensureTools } from '../../dev/tools';
import { NODE_FLAGS, PROCESS_ENV } from '../../common/process-settings';
import { type HubProcess, spawnHubProcess } from '../../dev/hub-process';

export { type HubProcess, spawnHubProcess };


export interface Harness {
  dir: string;
  env: Record<string, string>;
  apiUrl: string;
  key: string;
  tenantId: string;
  services: Services;
  stack: EmbeddedStack;
  /** The Temporal server's process (dev server, or the cluster's server). */
  temporalPid(): number | undefined;
  api: HubProcess;
  worker: HubProcess;
  /** Every worker process (one, or the cluster's several). */
  workers(): HubProcess[];
  /** Another tenant with an all-scopes key and a generous rate limit. */
  newTenant(name: string): Promise<{ tenantId: string; key: string }>;
  startWorker(): Promise<HubProcess>;
  startApi(): Promise<HubProcess>;
  /** Stops the embedded Postgres or Temporal server and starts it again on the same files. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  stop(): Promise<void>;
}

/** The settings every measured hub runs with (plus BENCH_HUB_ENV's). */
const benchEnv = (): Record<string, string> => ({
  // BENCH_HUB_ENV=NAME=value,NAME=value: settings to try on the hub's processes.
  ...(process.env.BENCH_HUB_ENV ? Object.fromEntries(process.env.BENCH_HUB_ENV.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : {}),
  HUB_ALLOW_PRIVATE_URLS: '1',
  HOST: '127.0.0.1',
  DATABASE_POOL_SIZE: '20',
  LOG_LEVEL: 'warn',
});

/** A tenant with an all-scopes key and a rate limit no bench reaches. */
async function benchTenant(services: Services, name: string): Promise<{ tenantId: string; key: string }> {
  const t = await createTenant(services.database.db, name);
  await services.database.db.updateTable('tenants').set({ rate_limit_per_minute: 10_000_000 }).where('id', '=', t.id).execute();
  return { tenantId: t.id, key: (await createApiKey(services.database.db, { tenantId: t.id, env: 'test' })).key };
}

/**
 * The production topology instead (`npm run bench -- --cluster`): a real Temporal server on
 * Postgres, one API and `workers` workers (dev/cluster-topology.ts). Postgres and Temporal stay
 * up for the whole run (the drills break them, not the bench).
 */
export async function startClusterHarness(opts: { workers: number; taskQueue?: string }): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dispatch-hub-bench-cluster-'));
  chmodSync(dir, 0o755);
  const [pgPort, apiPort, metricsPort, uiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Temporal stores membership ports as smallint: keep them under 32768.
  const temporalPort = 20_000 + Math.floor(Math.random() * 10_000);
  const cluster = await startCluster({ dataDir: dir, pgPort, temporalPort, uiPort, apiPort, metricsPort, apis: 1, workers: opts.workers, taskQueue: opts.taskQueue ?? 'bench', env: benchEnv(), log: () => undefined });
  const endpoints = { databaseUrl: cluster.databaseUrl, temporalAddress: cluster.temporalAddress };
  const services = await openServices(loadConfig({ ...process.env, ...cluster.env }), endpoints, createLogger('silent'));
  const tenant = await benchTenant(services, 'bench');
  const unsupported = async () => {
    throw new Error('the cluster bench does not stop its Postgres or Temporal (the cluster drill does)');
  };
  return {
    dir,
    env: cluster.env,
    apiUrl: cluster.apiUrls[0]!,
    key: tenant.key,
    tenantId: tenant.tenantId,
    services,
    stack: { endpoints, stop: async () => undefined },
    temporalPid: () => cluster.temporalPid(),
    get api() {
      return cluster.apis[0]!;
    },
    get worker() {
      return cluster.workers[0]!;
    },
    workers: () => cluster.workers,
    newTenant: (name) => benchTenant(services, name),
    startWorker: () => cluster.startWorker(0),
    startApi: () => cluster.startApi(0),
    stopPostgres: unsupported,
    startPostgres: unsupported,
    stopTemporal: unsupported,
    startTemporal: unsupported,
    stop: async () => {
      await services.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startHarness(opts: { taskQueue?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dispatch-hub-bench-'));
  chmodSync(dir, 0o755);
  const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const stack = await startEmbeddedStack({ dataDir: dir, pgPort, temporalPort, headless: true });
  const env: Record<string, string> = {
    DATABASE_URL: stack.endpoints.databaseUrl,
    TEMPORAL_ADDRESS: stack.endpoints.temporalAddress,
    HUB_TASK_QUEUE: opts.taskQueue ?? 'bench',
    ...benchEnv(),
    PORT: String(apiPort),
  };
  const config = loadConfig({ ...process.env, ...env });
  const services = await openServices(config, stack.endpoints, createLogger('silent'));
  const { tenantId, key } = await benchTenant(services, 'bench');
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const h: Harness = {
    dir,
    env,
    apiUrl,
    key,
    tenantId,
    services,
    stack,
    temporalPid: () => h.stack.temporal?.process.pid,
    workers: () => [h.worker],
    api: undefined as unknown as HubProcess,
    worker: undefined as unknown as HubProcess,
    newTenant: (name) => benchTenant(services, name),
    startWorker: async () => {
      const w = spawnHubProcess('worker', 'dist/worker/main.js', { ...env, ...PROCESS_ENV, LOG_LEVEL: 'info', HUB_METRICS_PORT: '0' }, NODE_FLAGS);
      await waitFor('worker', async () => (w.log.includes('worker running')), 60_000);
      h.worker = w;
      return w;
    },
    startApi: async () => {
      const a = spawnHubProcess('api', 'dist/api/main.js', { ...env, ...PROCESS_ENV }, NODE_FLAGS);
      await waitFor('api', async () => (await fetch(`${apiUrl}/health`)).ok, 60_000);
      h.api = a;
      return a;
    },
    stopPostgres: async () => {
      await h.stack.postgres?.stop();
    },
    startPostgres: async () => {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort });
      h.stack.postgres = pg;
    },
    stopTemporal: async () => {
      await h.stack.temporal?.stop();
    },
    startTemporal: async () => {
      h.stack.temporal = await startTemporalDevServer({ cliPath: ensureTools().temporal.path, dataDir: path.join(dir, 'temporal'), port: temporalPort, headless: true });
    },
    stop: async () => {
      await Promise.all([h.api?.stop(), h.worker?.stop()]);
      await services.close();
      await h.stack.temporal?.stop();
      await h.stack.postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await Promise.all([h.startWorker(), h.startApi()]);
  return h;
}

/** JSON over HTTP to the harness API with its key. */
export async function call(h: Harness, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.apiUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${h.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
