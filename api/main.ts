/** Production entry point of the API (`npm run start:api`); scale it out by running more. */
import { runMain, stopOnSignals } from '../common/entry-point';
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { openServices, resolveEndpoints } from '../common/runtime';
import { installTemporalRuntime } from '../common/temporal/sdk-runtime';
import { apiContextOf } from './context';
import { startApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'dispatch-hub-api');
  installTemporalRuntime(logger);
  const services = await openServices(config, resolveEndpoints(config), logger);
  const api = await startApi(
    apiContextOf(services, config, logger),
    config.port,
    config.host,
  );
  logger.info({ url: api.url }, 'api listening');
  stopOnSignals(async (signal) => {
    logger.info({ signal }, 'api stopping');
    await api.close();
    await services.close();
  });
}

runMain(main);
