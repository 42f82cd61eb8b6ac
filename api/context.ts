import type { Client } from '@temporalio/client';
import type { HubConfig } from '../common/config';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';

/** What every route needs: the database, the Temporal client, configuration and a logger. */
export interface ApiContext {
  db: Db;
  temporal: Client;
  config: HubConfig;
  logger: Logger;
}
