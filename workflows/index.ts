/** Every workflow the worker runs. This file is the worker bundle's entry point. */
export { bulkImportWorkflow } from './bulk-import';
export { eventRetentionWorkflow, outboxSweepWorkflow, subscriptionHealthWorkflow } from './housekeeping';
export { pingWorkflow } from './ping';
export { recoveryWorkflow } from './recovery';
export { routeLifecycleWorkflow } from './route-lifecycle';
export { stopLifecycleWorkflow } from './stop-lifecycle';
export { subscriptionRetriesWorkflow } from './subscription-retries';
export { subscriptionWatchWorkflow } from './subscription-watch';
