/**
 * The embedded stack: Postgres and the Temporal dev server, each started only when the
 * configuration does not point at an external one.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HubConfig } from '../common/config';
import type { Endpoints } from '../common/runtime';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './postgres';
import { type DevServerHandle, startTemporalDevServer } from './temporal-server';
import { ensureTools } from './tools';

export interface EmbeddedStack {
  endpoints: Endpoints;
  uiUrl?: string;
  postgres?: EmbeddedPostgresHandle;
  temporal?: DevServerHandle;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(
  config: HubConfig,
  opts: { headless?: boolean; log?: (line: string) => void } = {},
): Promise<EmbeddedStack> {
  const log = opts.log ?? (() => undefined);
  mkdirSync(config.dataDir, { recursive: true });
  const [postgres, temporal] = await Promise.all([
    config.databaseUrl
      ? undefined
      : startEmbeddedPostgres({
          dataDir: path.join(config.dataDir, 'postgres'),
          port: config.embedded.pgPort,
          log: (l) => log(`[postgres] ${l}`),
        }),
    config.temporal.address
      ? undefined
      : startTemporalDevServer({
          cliPath: ensureTools(log).temporal.path,
          dataDir: path.join(config.dataDir, 'temporal'),
          port: config.embedded.temporalPort,
          uiPort: config.embedded.temporalUiPort,
          headless: opts.headless,
          log: (l) => log(`[temporal] ${l}`),
        }),
  ]);
  return {
    endpoints: {
      databaseUrl: config.databaseUrl ?? postgres!.url,
      temporalAddress: config.temporal.address ?? temporal!.address,
    },
    uiUrl: temporal?.uiUrl,
    postgres,
    temporal,
    stop: async () => {
      await Promise.all([temporal?.stop(), postgres?.stop()]);
    },
  };
}
