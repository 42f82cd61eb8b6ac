/**
 * Start options for a workflow that owns one thing for its whole life (a stop, a route): a second start joins
 * the running workflow, and a finished one is never started again, as its thing can no longer change.
 */
export const ONE_RUN_PER_ID = { workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE' } as const;
