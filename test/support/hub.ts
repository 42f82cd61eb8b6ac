/**
 * A real hub for one test file: the API on a loopback port, a worker on its own task queue,
 * both talking to the suite's Postgres and Temporal, plus helpers to make tenants and call the
 * API over HTTP.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { ulid } from '../../common/ids';
import { type ApiContext, apiContextOf } from '../../api/context';
import { startApi, type RunningApi } from '../../api/server';
import { createApiKey, createTenant } from '../../common/auth/api-keys';
import type { Scope } from '../../common/auth/scopes';
import { type HubConfig, loadConfig } from '../../common/config';
import type { Db } from '../../common/db/connect';
import { createLogger, type Logger } from '../../common/logger';
import { openServices, type Services } from '../../common/runtime';
import { installTemporalRuntime } from '../../common/temporal/sdk-runtime';
import { deleteSchedules, ensureSchedules } from '../../worker/schedules';
import { connectWorker, createHubWorkers, type HubWorkers, startQueueWork } from '../../worker/worker';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestTenant {
  tenantId: string;
  key: string;
}

export interface RunningWorker {
  worker: HubWorkers;
  stop(): Promise<void>;
}

export class TestHub {
  private workers: RunningWorker[] = [];

  constructor(
    readonly config: HubConfig,
    readonly services: Services,
    readonly api: RunningApi,
    readonly logger: Logger,
  ) {}

  get db(): Db {
    return this.services.database.db;
  }

  get temporal(): Client {
    return this.services.temporal;
  }

  /** What this hub's API runs on, for a second app or API instance in a test. */
  get apiContext(): ApiContext {
    return apiContextOf(this.services, this.config, this.logger);
  }

  get url(): string {
    return this.api.url;
  }

  /** A tenant and key. Test tenants get a generous rate limit unless one is given. */
  async tenant(scopes?: readonly Scope[], opts: { rateLimitPerMinute?: number | null } = {}): Promise<TestTenant> {
    const tenant = await createTenant(this.db, `test-${ulid()}`);
    const limit = opts.rateLimitPerMinute === undefined ? 1_000_000 : opts.rateLimitPerMinute;
    await this.db.updateTable('tenants').set({ rate_limit_per_minute: limit }).where('id', '=', tenant.id).execute();
    const { key } = await createApiKey(this.db, { tenantId: tenant.id, scopes, env: 'test' });
    return { tenantId: tenant.id, key };
  }

  async call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | Buffer | undefined = opts.rawBody;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text: tests assert it is JSON where it must be
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  /** Starts an in-process worker on this hub's task queue, with its queue work (deliveries, lifecycle starts) unless told not to. */
  async startWorker(opts: { queue?: boolean } = {}): Promise<RunningWorker> {
    const connection: NativeConnection = await connectWorker(this.config.temporal.address!);
    const worker = await createHubWorkers({
      connection,
      deps: { db: this.db, temporal: this.temporal, config: this.config, logger: this.logger },
      workflowBundlePath: process.env.HUB_WORKFLOW_BUNDLE,
    });
    const running = worker.run();
    const queue = opts.queue === false ? undefined : startQueueWork({ connection, db: this.db, config: this.config, databaseUrl: this.config.databaseUrl!, logger: this.logger });
    const handle: RunningWorker = {
      worker,
      stop: async () => {
        await queue?.stop();
        if (worker.running) worker.shutdown();
        await running;
        await connection.close();
        this.workers = this.workers.filter((w) => w !== handle);
      },
    };
    this.workers.push(handle);
    return handle;
  }

  async stopWorkers(): Promise<void> {
    for (const w of [...this.workers]) await w.stop();
  }

  private schedulesCreated = false;

  /** Creates this hub's housekeeping Schedules (deleted again by stop()). */
  async ensureSchedules(): Promise<void> {
    await ensureSchedules(this.temporal, this.config.taskQueues);
    this.schedulesCreated = true;
  }

  async stop(): Promise<void> {
    if (this.schedulesCreated) await deleteSchedules(this.temporal, this.config.taskQueues);
    for (const w of [...this.workers]) await w.stop();
    await this.api.close();
    await this.services.close();
  }
}

export async function startTestHub(
  opts: { worker?: boolean; env?: Record<string, string> } = {},
): Promise<TestHub> {
  const config = loadConfig({
    ...process.env,
    HUB_TASK_QUEUE: `test-${ulid()}`,
    HUB_ALLOW_PRIVATE_URLS: '1',
    // Tests start many stops in a short time; the production pace would only make them wait.
    HUB_LIFECYCLE_STARTS_PER_SECOND: '200',
    HUB_LIFECYCLE_START_DELAY_MS: '300',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const logger = createLogger(config.logLevel, 'test-hub');
  installTemporalRuntime(createLogger(process.env.TEST_SDK_LOG_LEVEL ?? 'error', 'temporal-sdk'));
  const services = await openServices(
    config,
    { databaseUrl: config.databaseUrl!, temporalAddress: config.temporal.address! },
    logger,
  );
  const api = await startApi(apiContextOf(services, config, logger), 0, '127.0.0.1');
  const hub = new TestHub(config, services, api, logger);
  if (opts.worker !== false) await hub.startWorker();
  return hub;
}
