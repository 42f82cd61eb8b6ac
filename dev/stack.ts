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

export interface StackOptions {
  dataDir: string;
  /** Start an embedded Postgres on this port; omit to use `databaseUrl`. */
  pgPort?: number;
  databaseUrl?: string;
  /** Start a Temporal dev server on this port; omit to use `temporalAddress`. */
  temporalPort?: number;
  temporalAddress?: string;
  uiPort?: number;
  headless?: boolean;
  log?: (line: string) => void;
}

/** The stack `npm run dev` wants for this configuration. */
export function stackOptionsFor(config: HubConfig): StackOptions {
  return {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    pgPort: config.databaseUrl ? undefined : config.embedded.pgPort,
    temporalAddress: config.temporal.address,
    temporalPort: config.temporal.address ? undefined : config.embedded.temporalPort,
    uiPort: config.embedded.temporalUiPort,
  };
}

export async function startEmbeddedStack(opts: StackOptions): Promise<EmbeddedStack> {
  const log = opts.log ?? (() => undefined);
  mkdirSync(opts.dataDir, { recursive: true });
  const [postgres, temporal] = await Promise.all([
    opts.pgPort === undefined
      ? undefined
      : startEmbeddedPostgres({
          dataDir: path.join(opts.dataDir, 'postgres'),
          port: opts.pgPort,
          log: (l) => log(`[postgres] ${l}`),
        }),
    opts.temporalPort === undefined
      ? undefined
      : startTemporalDevServer({
          cliPath: ensureTools(log).temporal.path,
          dataDir: path.join(opts.dataDir, 'temporal'),
          port: opts.temporalPort,
          uiPort: opts.uiPort,
          headless: opts.headless,
          log: (l) => log(`[temporal] ${l}`),
        }),
  ]);
  return {
    endpoints: {
      databaseUrl: postgres?.url ?? opts.databaseUrl ?? '',
      temporalAddress: temporal?.address ?? opts.temporalAddress ?? '',
    },
    uiUrl: temporal?.uiUrl,
    postgres,
    temporal,
    stop: async () => {
      await Promise.all([temporal?.stop(), postgres?.stop()]);
    },
  };
}
