/**
 * Where the running hub's Postgres and Temporal are. External services come from
 * DATABASE_URL / TEMPORAL_ADDRESS; otherwise from the stack file `npm run dev` writes when it
 * starts the embedded ones, so extra API or worker processes can join a local dev stack.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { HubConfig } from './config';
import { connectDatabase, type DbHandle } from './db/connect';
import { migrateToLatest } from './db/migrate';
import type { Logger } from './logger';
import { checkServerVersion, connectClient, registerSearchAttributes, waitForNamespace } from './temporal/connection';
import { SUBSCRIPTION_PLANS } from './subscriptions/plan-cache';

export interface Endpoints {
  databaseUrl: string;
  temporalAddress: string;
}

export const stackFilePath = (dataDir: string): string => path.join(dataDir, 'stack.json');

export function writeStackFile(dataDir: string, endpoints: Endpoints & Record<string, unknown>): void {
  writeFileSync(stackFilePath(dataDir), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

/** Only the database (what `hub-admin` needs): DATABASE_URL, or the running dev stack's. */
export function resolveDatabaseUrl(config: HubConfig): string {
  if (config.databaseUrl) return config.databaseUrl;
  const file = stackFilePath(config.dataDir);
  const stack = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Endpoints>) : {};
  if (!stack.databaseUrl) throw new Error('no Postgres to connect to: set DATABASE_URL, or start the embedded stack with `npm run dev`');
  return stack.databaseUrl;
}

export function resolveEndpoints(config: HubConfig): Endpoints {
  let stack: Partial<Endpoints> = {};
  const file = stackFilePath(config.dataDir);
  if ((!config.databaseUrl || !config.temporal.address) && existsSync(file)) {
    stack = JSON.parse(readFileSync(file, 'utf8')) as Partial<Endpoints>;
  }
  const databaseUrl = config.databaseUrl ?? stack.databaseUrl;
  const temporalAddress = config.temporal.address ?? stack.temporalAddress;
  if (!databaseUrl || !temporalAddress) {
    throw new Error(
      'no Postgres/Temporal to connect to: set DATABASE_URL and TEMPORAL_ADDRESS, or start the embedded stack with `npm run dev`',
    );
  }
  return { databaseUrl, temporalAddress };
}

export interface Services {
  /** Where the two services are: what the process connected to, for /health to show. */
  endpoints: Endpoints;
  database: DbHandle;
  temporal: Client;
  close(): Promise<void>;
}

/** Connects to both services, runs pending migrations and registers search attributes. */
export async function openServices(config: HubConfig, endpoints: Endpoints, logger: Logger): Promise<Services> {
  const database = connectDatabase(endpoints.databaseUrl, { poolSize: config.databasePoolSize, logger });
  const applied = await migrateToLatest(database.db);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  // The resolved address goes last: config.temporal.address is undefined without TEMPORAL_ADDRESS,
  // and spread after it would wipe it, so the SDK would silently dial its default localhost:7233.
  const temporal = await connectClient({ ...config.temporal, address: endpoints.temporalAddress });
  const version = await checkServerVersion(temporal);
  await waitForNamespace(temporal, (message) => logger.warn({ temporal: endpoints.temporalAddress }, message));
  logger.info({ temporal: endpoints.temporalAddress, server_version: version || 'unknown', namespace: config.temporal.namespace }, 'temporal connected');
  const registered = await registerSearchAttributes(temporal);
  if (registered.length) logger.info({ search_attributes: registered }, 'search attributes registered');
  const detachPlans = SUBSCRIPTION_PLANS.attach(endpoints.databaseUrl, logger);
  return {
    endpoints,
    database,
    temporal,
    close: async () => {
      await detachPlans();
      await temporal.connection.close();
      await database.close();
    },
  };
}
