import type { Client } from '@temporalio/client';
import type { HubConfig } from '../common/config';
import type { Db } from '../common/db/connect';
import type { Logger } from '../common/logger';

/** What activities are built from; the worker creates these once and passes them in. */
export interface ActivityDeps {
  db: Db;
  temporal: Client;
  config: HubConfig;
  logger: Logger;
}
