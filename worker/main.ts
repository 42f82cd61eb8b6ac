/** Production entry point of the worker (`npm run start:worker`); scale it out by running more. */
import { runMain } from '../common/entry-point';
import { loadConfig } from '../common/config';
import { installTemporalRuntime } from '../common/temporal/sdk-runtime';
import { createLogger } from '../common/logger';
import { openServices, resolveEndpoints } from '../common/runtime';
import { sdkMetricsAddress, startMetricsServer } from './metrics-server';
import { ensureSchedules } from './schedules';
import { connectWorker, createHubWorkers, prebuiltBundle, startQueueWork } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'dispatch-hub-worker');
  const endpoints = resolveEndpoints(config);
  const sdkAddress = config.metrics.port ? sdkMetricsAddress(config.metrics.port) : undefined;
  installTemporalRuntime(logger, { prometheusAddress: sdkAddress });
  const services = await openServices(config, endpoints, logger);
  const probes = config.metrics.port
    ? await startMetricsServer({ db: services.database.db, port: config.metrics.port, token: config.metrics.token, sdkAddress })
    : undefined;
  const connection = await connectWorker(endpoints.temporalAddress, config.temporal);
  const worker = await createHubWorkers({
    connection,
    deps: { db: services.database.db, temporal: services.temporal, config, logger },
    workflowBundlePath: prebuiltBundle(process.env.HUB_WORKFLOW_BUNDLE || undefined),
  });
  await ensureSchedules(services.temporal, config.taskQueues);
  const queue = startQueueWork({
    connection,
    db: services.database.db,
    config,
    databaseUrl: endpoints.databaseUrl,
    logger,
    deliveryThread: { temporalAddress: endpoints.temporalAddress, onFailure: () => process.exit(1) },
  });
  // On SIGINT/SIGTERM the queue stops claiming at once and finishes the tries in flight, while
  // the SDK (which installs its own handlers) drains the Temporal worker; Worker.run resolves then.
  let draining: Promise<void> | undefined;
  const drain = (): void => {
    probes?.draining();
    draining ??= queue.stop();
  };
  process.once('SIGINT', drain);
  process.once('SIGTERM', drain);
  logger.info({ task_queues: config.workerLanes.map((l) => config.taskQueues[l]), metrics_port: probes?.port ?? null }, 'worker running');
  await worker.run();
  drain();
  await draining;
  await connection.close();
  await probes?.close();
  await services.close();
  logger.info('worker stopped');
}

runMain(main);
