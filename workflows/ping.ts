import { proxyActivities } from '@temporalio/workflow';
import type { PingActivities, PingWorkflow } from '../common/temporal/ping';

const { databaseTime } = proxyActivities<PingActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

/** A round trip through the worker and the database: proves the whole chain is wired. */
export const pingWorkflow: PingWorkflow = async (message) => ({ echo: message, database_time: await databaseTime() });
