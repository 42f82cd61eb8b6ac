/**
 * One workflow per bulk import (`import/<import id>`): one transaction inserts every stop with its
 * history row and `stop.created` event, then every stop's lifecycle workflow starts. The API
 * waits on the `committed` update, so it answers 201 exactly when the transaction committed.
 */
import { ApplicationFailure, condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { type BulkImportWorkflow, type ImportActivities, type ImportCommitted, importCommittedUpdate, importStateQuery } from '../common/temporal/bulk-import';

/** The one transaction, as a local activity: the API's 201 waits on it, so no extra round trips. */
const db = proxyLocalActivities<ImportActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 8 },
});
/** Starting 500 workflows: heartbeats its progress, so a retry after a crash resumes. */
const starter = proxyActivities<ImportActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

export const bulkImportWorkflow: BulkImportWorkflow = async (input) => {
  let phase = 'committing';
  let committed: ImportCommitted | undefined = undefined;
  let rejection: ApplicationFailure | undefined;
  setHandler(importStateQuery, () => ({ phase, count: input.stops.length }));
  setHandler(importCommittedUpdate, async () => {
    await condition(() => committed !== undefined || rejection !== undefined);
    if (rejection) throw rejection;
    return committed!;
  });

  const result = await db.commitImport(input);
  if (!result.ok) {
    rejection = ApplicationFailure.create({ type: result.type, message: result.message, details: [result.details], nonRetryable: true });
    phase = 'rejected';
    return { import_id: input.importId, count: 0, status: 'rejected' };
  }
  committed = result.committed;
  phase = 'starting';
  await starter.startImportedStops({ tenantId: input.tenantId, importId: input.importId });
  phase = 'completed';
  return { import_id: input.importId, count: committed.count, status: 'completed' };
};
