import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { HubConfig } from '../common/config';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';

/** What every route needs: the database, the Temporal client, configuration and a logger. */
export interface ApiContext {
  db: Db;
  /** The pool under `db`, for the rate-limit store. */
  pool: Pool;
  temporal: Client;
  config: HubConfig;
  logger: Logger;
}
