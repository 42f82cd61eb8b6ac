/**
 * `npm run dev`: the whole hub in one command — embedded Postgres and Temporal (unless
 * DATABASE_URL / TEMPORAL_ADDRESS point elsewhere), migrations, the worker and the API.
 * Ctrl-C stops everything; data stays in HUB_DATA_DIR for the next start.
 */
import { runMain, stopOnSignals } from '../common/entry-point';
import { loadConfig } from '../common/config';
import { installTemporalRuntime } from '../common/temporal/sdk-runtime';
import { createLogger } from '../common/logger';
import { openServices, stackFilePath, writeStackFile } from '../common/runtime';
import { apiContextOf } from '../api/context';
import { startApi } from '../api/server';
import { ensureSchedules } from '../worker/schedules';
import { connectWorker, createHubWorkers, startQueueWork } from '../worker/worker';
import { ensureDevTenant } from './dev-tenant';
import { stackOptionsFor, startEmbeddedStack } from './stack';
import { rmSync } from 'node:fs';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'dispatch-hub');
  const say = (line: string): void => console.log(`[dev] ${line}`);
  if (config.urlPolicy.allowPrivate) {
    logger.warn('HUB_ALLOW_PRIVATE_URLS is on: webhooks may target http and private addresses (development only)');
  }

  say(`data directory: ${config.dataDir}`);
  installTemporalRuntime(logger);
  const stack = await startEmbeddedStack({ ...stackOptionsFor(config), log: (l) => logger.debug(l) });
  writeStackFile(config.dataDir, { ...stack.endpoints, uiUrl: stack.uiUrl, pid: process.pid });
  const services = await openServices(config, stack.endpoints, logger);
  const devKey = await ensureDevTenant(services.database.db, config.dataDir, config.devApiKey);

  const connection = await connectWorker(stack.endpoints.temporalAddress, config.temporal);
  const worker = await createHubWorkers({
    connection,
    deps: { db: services.database.db, temporal: services.temporal, config, logger },
  });
  await ensureSchedules(services.temporal, config.taskQueues);
  const workerRun = worker.run();
  const queue = startQueueWork({
    connection,
    db: services.database.db,
    config,
    databaseUrl: stack.endpoints.databaseUrl,
    logger,
    deliveryThread: { temporalAddress: stack.endpoints.temporalAddress, onFailure: () => process.exit(1) },
  });
  const api = await startApi(apiContextOf(services, config, logger), config.port, config.host);

  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`API          ${api.url}   (try: curl ${api.url}/health)`);
  say(`Temporal UI  ${stack.uiUrl ?? '(external Temporal: see your cluster UI)'}`);
  say(`Dev API key  ${devKey}`);
  say('Ctrl-C stops everything; data is kept.');

  stopOnSignals(async (signal) => {
    say(`${signal}: stopping ...`);
    await api.close();
    await queue.stop();
    // The SDK drains the worker on SIGINT/SIGTERM by itself; only ask when it has not yet.
    if (worker.running) worker.shutdown();
    await workerRun.catch(() => undefined);
    await connection.close();
    await services.close();
    await stack.stop();
    rmSync(stackFilePath(config.dataDir), { force: true });
    say('stopped');
  });
}

runMain(main);
