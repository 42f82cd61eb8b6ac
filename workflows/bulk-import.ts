/**
 * One workflow per bulk import (`import/<import id>`): one transaction inserts every stop with its
 * history row, its `stop.created` event and the event's deliveries. The API waits on the
 * `committed` update, so it answers 201 exactly when the transaction committed. The stops'
 * lifecycle workflows are then started by the workers' lifecycle starter, at the pace it keeps
 * for every tenant, so a large import never takes the Temporal server from anyone else.
 */
import { ApplicationFailure, condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { type BulkImportWorkflow, type ImportActivities, type ImportCommitted, importCommittedUpdate, importStateQuery } from '../common/temporal/bulk-import';

/** The one transaction, as a local activity: the API's 201 waits on it, so no extra round trips. */
const db = proxyLocalActivities<ImportActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 8 },
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
  phase = 'committed';
  return { import_id: input.importId, count: committed.count, status: 'committed' };
};
