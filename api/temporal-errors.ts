/** Turns a refused Workflow Update into the contract's error. */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { STOP_FAILURES, type StopFailureType } from '../common/stops/failures';
import { ApiError } from './errors';

const CODE_BY_STATUS = { 400: 'validation_error', 404: 'not_found', 409: 'conflict' } as const;

export function updateFailureToApiError(err: unknown): ApiError | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !(cause.type in STOP_FAILURES)) return undefined;
  const status = STOP_FAILURES[cause.type as StopFailureType];
  const details = (cause.details?.[0] ?? {}) as Record<string, unknown>;
  return new ApiError(status, CODE_BY_STATUS[status], cause.message, details);
}

/**
 * The workflow has ended (its stop is terminal) or never existed; an Update-with-Start is refused
 * as "already started" for an ended one, which may not run again.
 */
export function isWorkflowGone(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError || /workflow execution already completed|not found/i.test(String((err as Error)?.message));
}
