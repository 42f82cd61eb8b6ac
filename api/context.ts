import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { HubConfig } from '../common/config';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';
import type { Services } from '../common/runtime';

/** What every route needs: the database, the Temporal client, configuration and a logger. */
export interface ApiContext {
  db: Db;
  /** The pool under `db`, for the rate-limit store. */
  pool: Pool;
  temporal: Client;
  /** Where `db` and `temporal` connect to (no credentials are shown from it). */
  endpoints: Services['endpoints'];
  config: HubConfig;
  logger: Logger;
}

export const apiContextOf = (services: Services, config: HubConfig, logger: Logger): ApiContext => ({
  db: services.database.db,
  pool: services.database.pool,
  temporal: services.temporal,
  endpoints: services.endpoints,
  config,
  logger,
});
