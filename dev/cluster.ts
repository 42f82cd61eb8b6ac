/**
 * `npm run cluster`: the production topology on this machine, without Docker (see
 * dev/cluster-topology.ts). Data stays in HUB_DATA_DIR/cluster across restarts; Ctrl-C stops it all.
 */
import { runMain, stopOnSignals } from '../common/entry-point';
import path from 'node:path';
import { loadConfig } from '../common/config';
import { connectDatabase } from '../common/db/connect';
import { startCluster } from './cluster-topology';
import { ensureDevTenant } from './dev-tenant';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const say = (line: string): void => console.log(`[cluster] ${line}`);
  const dataDir = path.join(config.dataDir, 'cluster');
  say(`data directory: ${dataDir}`);
  const cluster = await startCluster({
    dataDir,
    pgPort: config.embedded.pgPort + 10,
    temporalPort: config.embedded.temporalPort,
    uiPort: config.embedded.temporalUiPort,
    apiPort: config.port,
    metricsPort: config.metrics.port || 9464,
    log: (l) => (l.startsWith('[postgres]') || l.startsWith('[temporal]') ? undefined : say(l)),
  });
  const database = connectDatabase(cluster.databaseUrl);
  const devKey = await ensureDevTenant(database.db, dataDir, config.devApiKey);
  await database.close();

  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  cluster.apiUrls.forEach((url, i) => say(`API ${i + 1}        ${url}   (metrics ${url}/metrics)`));
  cluster.workers.forEach((_, i) => say(`worker ${i + 1}     metrics http://127.0.0.1:${(config.metrics.port || 9464) + i * 10}/metrics`));
  say(`Temporal     ${cluster.temporalAddress} (server, Postgres persistence and visibility)`);
  say(`Temporal UI  ${cluster.uiUrl ?? '(not built; see the README)'}`);
  say(`Postgres     ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`);
  say(`Dev API key  ${devKey}`);
  say('Ctrl-C stops everything; data is kept.');

  stopOnSignals(async (signal) => {
    say(`${signal}: stopping ...`);
    await cluster.stop();
    say('stopped');
  });
}

runMain(main);
