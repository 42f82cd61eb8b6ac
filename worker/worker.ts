/** Builds the hub's Temporal worker: one task queue, every workflow, every activity. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities';

export interface HubWorkerOptions {
  deps: ActivityDeps;
  connection: NativeConnection;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles `workflows/` itself. */
  workflowBundlePath?: string;
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>>;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createHubWorker(opts: HubWorkerOptions): Promise<Worker> {
  const { deps } = opts;
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
    maxCachedWorkflows: 2000,
    shutdownGraceTime: '10s',
    ...opts.tuning,
  });
}

export async function connectWorker(address: string, opts: { tls?: boolean; apiKey?: string } = {}): Promise<NativeConnection> {
  return NativeConnection.connect({ address, tls: opts.tls || undefined, apiKey: opts.apiKey });
}
