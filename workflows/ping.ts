import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { databaseTime } = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

/** A round trip through the worker and the database: proves the whole chain is wired. */
export async function pingWorkflow(message: string): Promise<{ echo: string; database_time: string }> {
  return { echo: message, database_time: await databaseTime() };
}
