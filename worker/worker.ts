/**
 * Builds the hub's worker process: the Temporal worker (one task queue, every workflow, every
 * activity) and, beside it, the delivery queue consumer and the lifecycle starter, which work
 * from Postgres outside any workflow task.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { type ActivityDeps, createActivities } from '../activities';
import type { HubConfig } from '../common/config';
import { preloadGeocoder } from '../common/geocoding/at-write';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';
import { type TemporalTarget, tlsOf } from '../common/temporal/connection';
import { SecretBox } from '../common/webhooks/secrets';
import { DeliveryQueueConsumer } from './delivery/queue-consumer';
import { createSender } from './delivery/send-try';
import { TryRecorder } from './delivery/try-recorder';
import { LifecycleStarter } from './lifecycle-starter';

export interface HubWorkerOptions {
  deps: ActivityDeps;
  connection: NativeConnection;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles `workflows/` itself. */
  workflowBundlePath?: string;
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>>;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Where `npm run build` writes the bundle: beside the compiled code (dist/). */
export const BUILT_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

/**
 * The workflow bundle a worker loads: HUB_WORKFLOW_BUNDLE, else the one built with the compiled
 * code this runs from; run from source (tsx), the worker bundles its workflows at start.
 */
export function prebuiltBundle(configured: string | undefined): string | undefined {
  if (configured) return configured;
  return __filename.endsWith('.js') && existsSync(BUILT_BUNDLE_PATH) ? BUILT_BUNDLE_PATH : undefined;
}

export async function createHubWorker(opts: HubWorkerOptions): Promise<Worker> {
  const { deps } = opts;
  preloadGeocoder(deps.config.geocoderUrl);
  return Worker.create({
    connection: opts.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.taskQueue,
    activities: createActivities(deps),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
    // Stop and delivery workflows wait for hours; their histories are short, so a workflow that
    // left the cache is replayed quickly. A small cache keeps the worker's memory small.
    maxCachedWorkflows: 100,
    shutdownGraceTime: '10s',
    ...opts.tuning,
  });
}

export interface QueueWork {
  stop(): Promise<void>;
}

/**
 * The work this worker takes from Postgres: first tries and requeued retries of deliveries, and
 * lifecycle starts of new stops. Uses the worker's own Temporal connection.
 */
export function startQueueWork(opts: { connection: NativeConnection; db: Db; config: HubConfig; databaseUrl: string; logger: Logger; temporal?: Client }): QueueWork {
  const { db, config, logger } = opts;
  const temporal = opts.temporal ?? new Client({ connection: opts.connection, namespace: config.temporal.namespace });
  const recorder = new TryRecorder({ db, temporal, taskQueue: config.taskQueue, logger });
  const consumer = new DeliveryQueueConsumer({ db, send: createSender(config, new SecretBox(config.secretKey)), recorder, logger, limits: config.deliveryQueue });
  const starter = new LifecycleStarter({ db, temporal, taskQueue: config.taskQueue }, config.lifecycleStarts, logger, () => consumer.busy);
  consumer.start(opts.databaseUrl);
  starter.start();
  return {
    stop: async () => {
      await starter.stop();
      await consumer.stop();
    },
  };
}

export async function connectWorker(address: string, opts: Pick<TemporalTarget, 'tls' | 'apiKey' | 'mtls'> = {}): Promise<NativeConnection> {
  return NativeConnection.connect({ address, tls: tlsOf(opts), apiKey: opts.apiKey });
}
