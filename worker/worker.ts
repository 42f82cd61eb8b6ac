/**
 * Builds the hub's worker process: one Temporal worker per lane it serves (lifecycle, timers,
 * background: each its own task queue and slots, see common/config.ts LANES) and, beside them,
 * the delivery sender (on its own thread) and the lifecycle starter, which work from Postgres
 * outside any workflow task.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { type ActivityDeps, createActivities } from '../activities';
import type { HubConfig, Lane } from '../common/config';
import { preloadGeocoder } from '../common/geocoding/at-write';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';
import { type TemporalTarget, tlsOf } from '../common/temporal/connection';
import { type DeliveryWork, startDeliveries } from './delivery/deliveries';
import { startDeliveryThread } from './delivery/thread-host';
import { LaneBacklogs, LifecycleStarter } from './lifecycle-starter';
import { setWorkflowStackTraces } from './stack-traces';

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

/**
 * Slots and cache per lane. Stop and route workflows wait for hours; their histories are short,
 * so one that left the cache replays quickly, and a small cache keeps memory small. Timers and
 * background work are few and light: a few slots each, so a backlog there never takes the
 * lifecycle lane's. An import holds a background slot for its one transaction (a local
 * activity), also while it waits for its tenant's import lock, hence more slots there.
 */
const LANE_TUNING: Record<Lane, Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>> = {
  lifecycle: { maxConcurrentWorkflowTaskExecutions: 40, maxConcurrentActivityTaskExecutions: 100, maxCachedWorkflows: 100 },
  timers: { maxConcurrentWorkflowTaskExecutions: 8, maxConcurrentActivityTaskExecutions: 20, maxCachedWorkflows: 200 },
  background: { maxConcurrentWorkflowTaskExecutions: 20, maxConcurrentActivityTaskExecutions: 20, maxCachedWorkflows: 20 },
};

/** The Temporal workers of one process, one per lane, run and stopped together. */
export class HubWorkers {
  constructor(readonly lanes: readonly { lane: Lane; worker: Worker }[]) {}

  run(): Promise<void> {
    return Promise.all(this.lanes.map((l) => l.worker.run())).then(() => undefined);
  }

  get running(): boolean {
    return this.lanes.some((l) => l.worker.getState() === 'RUNNING');
  }

  shutdown(): void {
    for (const { worker } of this.lanes) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

export async function createHubWorkers(opts: HubWorkerOptions): Promise<HubWorkers> {
  const { deps } = opts;
  const { config } = deps;
  preloadGeocoder(config.geocoderUrl);
  setWorkflowStackTraces(config.workflowStackTraces);
  // Every lane knows every activity: a workflow's activities run on its own lane's queue.
  const activities = createActivities(deps);
  const workflows = opts.workflowBundlePath ? { workflowBundle: { codePath: opts.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH };
  const lanes = await Promise.all(
    config.workerLanes.map(async (lane) => ({
      lane,
      worker: await Worker.create({
        connection: opts.connection,
        namespace: config.temporal.namespace,
        taskQueue: config.taskQueues[lane],
        activities,
        ...workflows,
        ...LANE_TUNING[lane],
        shutdownGraceTime: '10s',
        ...(lane === 'lifecycle' ? opts.tuning : {}),
      }),
    })),
  );
  return new HubWorkers(lanes);
}

export interface QueueWork {
  stop(): Promise<void>;
}

export interface QueueWorkOptions {
  connection: NativeConnection;
  db: Db;
  config: HubConfig;
  databaseUrl: string;
  logger: Logger;
  temporal?: Client;
  /**
   * Send webhooks from the worker's own delivery thread (worker/delivery/thread-host.ts), as the
   * worker and `npm run dev` do; without it, on this thread (tests). `onFailure`: the thread died.
   */
  deliveryThread?: { temporalAddress: string; onFailure: (err: Error) => void };
}

/**
 * The work this worker takes from Postgres: first tries and requeued retries of deliveries, and
 * lifecycle starts of new stops. The starter uses the worker's own Temporal connection.
 */
export function startQueueWork(opts: QueueWorkOptions): QueueWork {
  const { db, config, logger } = opts;
  const temporal = opts.temporal ?? new Client({ connection: opts.connection, namespace: config.temporal.namespace });
  const deliveries: DeliveryWork = opts.deliveryThread
    ? startDeliveryThread({ databaseUrl: opts.databaseUrl, temporalAddress: opts.deliveryThread.temporalAddress }, logger, opts.deliveryThread.onFailure)
    : startDeliveries({ db, temporal, config, databaseUrl: opts.databaseUrl, logger });
  const backlogs = new LaneBacklogs(temporal, Object.values(config.taskQueues));
  const starter = new LifecycleStarter({ db, temporal, taskQueue: config.taskQueues.lifecycle }, config.lifecycleStarts, logger, () => deliveries.behind, backlogs);
  starter.start();
  return {
    stop: async () => {
      await starter.stop();
      await deliveries.stop();
    },
  };
}

export async function connectWorker(address: string, opts: Pick<TemporalTarget, 'tls' | 'apiKey' | 'mtls'> = {}): Promise<NativeConnection> {
  return NativeConnection.connect({ address, tls: tlsOf(opts), apiKey: opts.apiKey });
}
