/** Production entry point of the worker (`npm run start:worker`); scale it out by running more. */
import { loadConfig } from '../common/config';
import { installTemporalRuntime } from './runtime';
import { createLogger } from '../common/logger';
import { openServices, resolveEndpoints } from '../common/runtime';
import { ensureSchedules } from './schedules';
import { connectWorker, createHubWorker, startOutboxRelay } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'dispatch-hub-worker');
  const endpoints = resolveEndpoints(config);
  installTemporalRuntime(logger);
  const services = await openServices(config, endpoints, logger);
  const connection = await connectWorker(endpoints.temporalAddress, config.temporal);
  const worker = await createHubWorker({
    connection,
    deps: { db: services.database.db, temporal: services.temporal, config, logger },
    workflowBundlePath: process.env.HUB_WORKFLOW_BUNDLE || undefined,
  });
  await ensureSchedules(services.temporal, config.taskQueue);
  const relay = startOutboxRelay({ connection, db: services.database.db, config, databaseUrl: endpoints.databaseUrl, logger });
  logger.info({ task_queue: config.taskQueue }, 'worker running');
  // Worker.run resolves after SIGINT/SIGTERM once in-flight tasks are done (the SDK installs
  // the signal handlers).
  await worker.run();
  await relay.stop();
  await connection.close();
  await services.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
