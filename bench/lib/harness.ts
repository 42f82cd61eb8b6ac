/**
 * A complete hub for measurements: embedded Postgres and Temporal in a temporary folder, the API
 * and the worker as their own processes (so their memory can be read), a tenant and key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiKey, createTenant } from '../../common/auth/api-keys';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { openServices, type Services } from '../../common/runtime';
import { freePort, waitFor } from '../../dev/processes';
import { startEmbeddedPostgres } from '../../dev/postgres';
import { type EmbeddedStack, startEmbeddedStack } from '../../dev/stack';
import { startTemporalDevServer } from '../../dev/temporal-server';
import { ensureTools } from '../../dev/tools';
import { NODE_FLAGS, PROCESS_ENV } from '../../common/process-settings';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HubProcess {
  name: string;
  child: ChildProcess;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a production entry point (`dist/api/main.js`, `dist/worker/main.js`: `npm run bench` and
 * `npm run drill` build first), as it runs in production: compiled, with the prebuilt bundle.
 */
export function spawnHubProcess(name: string, entry: string, env: Record<string, string>, nodeFlags: readonly string[] = []): HubProcess {
  // BENCH_CPU_PROFILE=<dir>: the process writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROFILE)] : [];
  const child = spawn(process.execPath, [...profile, ...nodeFlags, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let peak = 0;
  return {
    name,
    child,
    peakRssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      } catch {
        // the process is gone: keep the last reading
      }
      return Math.round(peak);
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    get log() {
      return log;
    },
  } as HubProcess;
}

export interface Harness {
  dir: string;
  env: Record<string, string>;
  apiUrl: string;
  key: string;
  tenantId: string;
  services: Services;
  stack: EmbeddedStack;
  api: HubProcess;
  worker: HubProcess;
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

export async function startHarness(opts: { taskQueue?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dispatch-hub-bench-'));
  chmodSync(dir, 0o755);
  const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const stack = await startEmbeddedStack({ dataDir: dir, pgPort, temporalPort, headless: true });
  const env: Record<string, string> = {
    DATABASE_URL: stack.endpoints.databaseUrl,
    TEMPORAL_ADDRESS: stack.endpoints.temporalAddress,
    HUB_TASK_QUEUE: opts.taskQueue ?? 'bench',
    // BENCH_HUB_ENV=NAME=value,NAME=value: settings to try on the hub's processes.
    ...(process.env.BENCH_HUB_ENV ? Object.fromEntries(process.env.BENCH_HUB_ENV.split(',').map((kv) => kv.split('=') as [string, string])) : {}),
    HUB_ALLOW_PRIVATE_URLS: '1',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    DATABASE_POOL_SIZE: '20',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig({ ...process.env, ...env });
  const services = await openServices(config, stack.endpoints, createLogger('silent'));
  const tenant = await createTenant(services.database.db, 'bench');
  await services.database.db.updateTable('tenants').set({ rate_limit_per_minute: 10_000_000 }).where('id', '=', tenant.id).execute();
  const { key } = await createApiKey(services.database.db, { tenantId: tenant.id, env: 'test' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const h: Harness = {
    dir,
    env,
    apiUrl,
    key,
    tenantId: tenant.id,
    services,
    stack,
    api: undefined as unknown as HubProcess,
    worker: undefined as unknown as HubProcess,
    newTenant: async (name) => {
      const t = await createTenant(services.database.db, name);
      await services.database.db.updateTable('tenants').set({ rate_limit_per_minute: 10_000_000 }).where('id', '=', t.id).execute();
      return { tenantId: t.id, key: (await createApiKey(services.database.db, { tenantId: t.id, env: 'test' })).key };
    },
    startWorker: async () => {
      const w = spawnHubProcess('worker', 'dist/worker/main.js', { ...env, ...PROCESS_ENV, LOG_LEVEL: 'info', HUB_METRICS_PORT: '0' }, NODE_FLAGS);
      await waitFor('worker', async () => ((w as unknown as { log: string }).log.includes('worker running')), 60_000);
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
