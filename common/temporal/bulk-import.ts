/**
 * The bulk import workflow's contract. The API starts it with Update-with-Start and waits on the
 * `committed` update, so it answers 201 exactly when the import's one transaction committed.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { StopCreateInput } from '../schemas/stops';
import type { StopRejection } from '../stops/failures';
import { SA } from './search-attributes';
import { fairShareOf } from './fair-share';
import type { ImportCreated } from '../schemas/imports';

export const importWorkflowId = (importId: string): string => `import/${importId}`;

export interface ImportInput {
  tenantId: string;
  importId: string;
  stops: { id: string; data: StopCreateInput }[];
}

/** The commit's answer, which the API gives as its 201 (the response schema's type). */
export type ImportCommitted = ImportCreated;

export interface ImportResult {
  import_id: string;
  count: number;
  status: string;
}

/** The activities the workflow runs (activities/imports.ts). */
export interface ImportActivities {
  /** Inserts every stop, history row and event in one transaction; a repeat returns the first result. */
  commitImport(input: ImportInput): Promise<{ ok: true; committed: ImportCommitted } | StopRejection>;
}

export type BulkImportWorkflow = (input: ImportInput) => Promise<ImportResult>;

export const importCommittedUpdate = defineUpdate<ImportCommitted>('committed');
export const importStateQuery = defineQuery<{ phase: string; count: number }>('state');

/** A retried request (same Idempotency-Key, same import id) joins the running import. */
export function importWorkflowOptions(taskQueue: string, input: ImportInput): WorkflowStartOptions<BulkImportWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' } {
  return {
    workflowId: importWorkflowId(input.importId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    ...fairShareOf(input.tenantId),
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.ImportId, value: input.importId },
    ],
    staticSummary: `import of ${input.stops.length} stops`,
  };
}
