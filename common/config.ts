/**
 * The hub's configuration, read once from the environment and validated, so a typo in a
 * variable fails at start with a clear message instead of at the first request.
 */
import path from 'node:path';
import { z } from 'zod';
import type { UrlPolicy } from './subscriptions/url-policy';

/** How the workers' delivery queue consumer paces itself (see worker/delivery/queue-consumer.ts). */
export interface QueueLimits {
  /** Tries in flight in one worker process (sending or being recorded). */
  maxInFlight: number;
  /** Tries in flight per subscription, across every worker. */
  perSubscription: number;
  /** Rows per claim. */
  batch: number;
  /** Polling beside the NOTIFY wake-ups (expired leases, lost notifications). */
  pollMs: number;
  /** The delivery thread's nice value (worker/delivery/thread.ts). */
  nice: number;
}

/**
 * The hub's Temporal task queues (issue #22): stop and route Updates, subscriptions' retry
 * timers, and background work (imports, recoveries, housekeeping) each have their own, with
 * their own worker slots, so a backlog in one never delays the others.
 */
export const LANES = ['lifecycle', 'timers', 'background'] as const;
export type Lane = (typeof LANES)[number];

/** Per-tenant quotas, by the names the API and hub-admin use. */
export interface QuotaLimits {
  stops_per_day: number;
  imports_in_flight: number;
  recoveries_in_flight: number;
}

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: flag,
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** mTLS to a self-hosted cluster: PEM files of the client certificate and key, the CA, and the server name to expect. */
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** The lifecycle task queue's name; the other lanes' are derived from it (`<name>-timers`, `<name>-background`). */
  HUB_TASK_QUEUE: z.string().min(1).default('dispatch-hub'),
  /** The lanes this worker process serves, comma-separated (default: all); give each its own workers in production. */
  HUB_WORKER_LANES: z
    .string()
    .default(LANES.join(','))
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(LANES)).min(1, 'name at least one of lifecycle, timers, background')),
  HUB_DATA_DIR: z.string().min(1).default('.data'),
  HUB_DEV_API_KEY: z.string().optional(),
  HUB_ALLOW_PRIVATE_URLS: flag,
  /** Ports webhook URLs may use beside 443 and 80, comma-separated. */
  HUB_WEBHOOK_ALLOWED_PORTS: z
    .string()
    .regex(/^(\d{1,5}(,\d{1,5})*)?$/, 'must be a comma-separated list of ports')
    .default('')
    .transform((s) => (s ? s.split(',').map(Number) : []))
    .pipe(z.array(z.number().int().min(1).max(65535))),
  HUB_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  HUB_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  HUB_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  HUB_BODY_LIMIT: z.string().default('2mb'),
  /** How long the API waits on a workflow (a stop move, an import) before answering 503. */
  HUB_UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  HUB_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(25),
  /** Default per-tenant quotas (a tenant's own, set with hub-admin, wins): stops created per UTC day, imports and recoveries in flight. */
  HUB_QUOTA_STOPS_PER_DAY: z.coerce.number().int().min(0).max(100_000_000).default(100_000),
  HUB_QUOTA_IMPORTS_IN_FLIGHT: z.coerce.number().int().min(0).max(10_000).default(10),
  HUB_RECOVERIES_PER_TENANT: z.coerce.number().int().min(0).max(1_000).default(3),
  /**
   * The most lifecycle workflows each worker starts per second for stops no move has reached yet.
   * Below it the pace follows Temporal (worker/start-pace.ts): a fixed pace was either too slow
   * after a burst or, at 10/s on the 2-core bench machine, enough to quadruple another tenant's
   * move p99.
   */
  HUB_LIFECYCLE_STARTS_PER_SECOND: z.coerce.number().min(1).max(10_000).default(100),
  /** How old a new stop is before the worker starts its workflow (a move starts it sooner). */
  HUB_LIFECYCLE_START_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
  /** Webhook tries in flight per worker process. */
  HUB_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(512),
  /** Webhook tries in flight per subscription, across all workers. */
  HUB_SUBSCRIPTION_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
  /**
   * The OS priority (nice, 0–19) of the worker's delivery thread: above 0, stop and route moves
   * go first when the machine is short of CPU, and webhooks use what is left.
   */
  HUB_DELIVERY_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * Keep a stack for every promise a workflow makes, so the Temporal UI's Stack Trace tab can show
   * where a workflow waits. Off by default: it was about a fifth of the worker's CPU per move
   * (worker/stack-traces.ts).
   */
  HUB_WORKFLOW_STACK_TRACES: flag,
  /** A Nominatim-compatible search URL; unset = the offline gazetteer. */
  HUB_GEOCODER_URL: z.string().url().optional(),
  /** The worker's metrics, liveness and readiness port (0: none); the SDK's own metrics bind one above it, on loopback. */
  HUB_METRICS_PORT: z.coerce.number().int().min(0).max(65534).default(9464),
  /** When set, `/metrics` answers only requests bearing it (`Authorization: Bearer …`). */
  HUB_METRICS_TOKEN: z.string().min(16).optional(),
  /** Encrypts webhook secrets at rest; the dev stack uses a fixed development key. */
  HUB_SECRET_KEY: z.string().min(32).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

/** Every variable the hub reads (docker-compose.yml is checked against this list). */
export const ENV_KEYS = Object.keys(envSchema.shape) as (keyof Env)[];

export interface HubConfig {
  port: number;
  host: string;
  /** Unset means "use the embedded Postgres that `npm run dev` starts". */
  databaseUrl?: string;
  databasePoolSize: number;
  temporal: {
    /** Unset means "use the dev server that `npm run dev` starts". */
    address?: string;
    namespace: string;
    tls: boolean;
    apiKey?: string;
    /** Paths of PEM files, for mTLS (any of them turns TLS on). */
    mtls?: { cert?: string; key?: string; ca?: string; serverName?: string };
  };
  /** Each lane's task queue. */
  taskQueues: Record<Lane, string>;
  /** The lanes this worker process runs. */
  workerLanes: Lane[];
  dataDir: string;
  devApiKey?: string;
  /** Where webhooks may go (see common/subscriptions/url-policy.ts). */
  urlPolicy: UrlPolicy;
  embedded: { pgPort: number; temporalPort: number; temporalUiPort: number };
  bodyLimit: string;
  updateTimeoutMs: number;
  secretKey?: string;
  geocoderUrl?: string;
  maxSubscriptionsPerTenant: number;
  /** The quotas of a tenant that has none of its own (common/quotas.ts). */
  quotaDefaults: QuotaLimits;
  deliveryQueue: QueueLimits;
  /** Whether workflows answer the stack-trace queries (HUB_WORKFLOW_STACK_TRACES). */
  workflowStackTraces: boolean;
  lifecycleStarts: { perSecond: number; minAgeMs: number };
  metrics: { port: number; token?: string };
  logLevel: Env['LOG_LEVEL'];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  // A variable set to nothing (`HUB_DELIVERY_NICE=` in an env file) means "not set": coerced, it
  // would be the number 0 or an empty URL, not the default.
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) throw new Error('invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      tls: e.TEMPORAL_TLS,
      apiKey: e.TEMPORAL_API_KEY,
      mtls:
        e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_KEY || e.TEMPORAL_TLS_CA || e.TEMPORAL_TLS_SERVER_NAME
          ? { cert: e.TEMPORAL_TLS_CERT, key: e.TEMPORAL_TLS_KEY, ca: e.TEMPORAL_TLS_CA, serverName: e.TEMPORAL_TLS_SERVER_NAME }
          : undefined,
    },
    taskQueues: { lifecycle: e.HUB_TASK_QUEUE, timers: `${e.HUB_TASK_QUEUE}-timers`, background: `${e.HUB_TASK_QUEUE}-background` },
    workerLanes: [...new Set(e.HUB_WORKER_LANES)],
    dataDir: path.resolve(e.HUB_DATA_DIR),
    devApiKey: e.HUB_DEV_API_KEY || undefined,
    urlPolicy: { allowPrivate: e.HUB_ALLOW_PRIVATE_URLS, extraPorts: e.HUB_WEBHOOK_ALLOWED_PORTS },
    embedded: { pgPort: e.HUB_PG_PORT, temporalPort: e.HUB_TEMPORAL_PORT, temporalUiPort: e.HUB_TEMPORAL_UI_PORT },
    bodyLimit: e.HUB_BODY_LIMIT,
    updateTimeoutMs: e.HUB_UPDATE_TIMEOUT_MS,
    secretKey: e.HUB_SECRET_KEY,
    geocoderUrl: e.HUB_GEOCODER_URL,
    maxSubscriptionsPerTenant: e.HUB_MAX_SUBSCRIPTIONS,
    quotaDefaults: { stops_per_day: e.HUB_QUOTA_STOPS_PER_DAY, imports_in_flight: e.HUB_QUOTA_IMPORTS_IN_FLIGHT, recoveries_in_flight: e.HUB_RECOVERIES_PER_TENANT },
    workflowStackTraces: e.HUB_WORKFLOW_STACK_TRACES,
    lifecycleStarts: { perSecond: e.HUB_LIFECYCLE_STARTS_PER_SECOND, minAgeMs: e.HUB_LIFECYCLE_START_DELAY_MS },
    deliveryQueue: { maxInFlight: e.HUB_DELIVERY_CONCURRENCY, perSubscription: e.HUB_SUBSCRIPTION_CONCURRENCY, batch: 200, pollMs: 1_000, nice: e.HUB_DELIVERY_NICE },
    metrics: { port: e.HUB_METRICS_PORT, token: e.HUB_METRICS_TOKEN },
    logLevel: e.LOG_LEVEL,
  };
}
