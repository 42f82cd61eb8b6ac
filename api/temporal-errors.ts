/** Runs Workflow Updates for the API with a deadline, and turns their failures into the contract's errors. */
import {
  type Client,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { Request } from 'express';
import { PERMANENT_DATA_ERROR } from '../common/db/errors';
import { deterministicId } from '../common/ids';
import type { Logger } from '../common/logger';
import { METRICS } from '../common/metrics/registry';
import { STOP_FAILURES, type StopFailureType } from '../common/stops/failures';
import { ApiError } from './errors';

const CODE_BY_STATUS = { 400: 'validation_error', 404: 'not_found', 409: 'conflict', 429: 'quota_exceeded' } as const;

const busy = (message: string): ApiError => new ApiError(503, 'service_unavailable', message, { retry_after: 2 });

export function updateFailureToApiError(err: unknown): ApiError | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ActivityFailure) {
    // The write behind the change gave up: bad data is the request's fault, anything else an outage.
    if (cause.cause instanceof ApplicationFailure && cause.cause.type === PERMANENT_DATA_ERROR) {
      return new ApiError(400, 'validation_error', 'a value in this request could not be stored', { reason: 'unstorable_value' });
    }
    return busy('the change could not be saved right now; retry shortly');
  }
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

/**
 * The Update id of a request: derived from its Idempotency-Key, so a retry after a 503 joins
 * the first attempt's Update (Temporal answers a known id with its outcome) instead of moving
 * the stop twice.
 */
export const updateIdFor = (req: Request): string | undefined =>
  req.idempotency ? deterministicId('upd', req.auth!.tenantId, req.idempotency.key, req.idempotency.requestHash) : undefined;

/** Any failure that came from Temporal (the server, the SDK or the workflow), as opposed to a bug of ours. */
const isTemporalError = (err: unknown): boolean =>
  err instanceof TemporalFailure || err instanceof ServiceError || err instanceof WorkflowUpdateFailedError || isGrpcServiceError(err);

/**
 * Runs `send` (an Update, or any Temporal call) and waits at most `timeoutMs` for it. Past that
 * the caller gets a 503 with Retry-After instead of a connection that hangs; the change may still
 * be applied, which a retry with the same Idempotency-Key then finds. A refusal the workflow
 * gave becomes its contract error; a Temporal failure nobody here recognises is logged with the
 * workflow's id, counted, and answered 503 (a retry can succeed), never a bare 500.
 */
export async function withUpdateDeadline<T>(
  ctx: { temporal: Client; config: { updateTimeoutMs: number }; logger: Logger },
  workflowId: string,
  send: () => Promise<T>,
): Promise<T> {
  const timeoutMs = ctx.config.updateTimeoutMs;
  try {
    return await ctx.temporal.connection.withDeadline(Date.now() + timeoutMs, send);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The deadline shows as DEADLINE_EXCEEDED, or as a cancelled call, depending on where it struck.
    if (isGrpcDeadlineError(err) || isGrpcCancelledError(err) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw busy(`no answer from the workflow within ${timeoutMs} ms; retry with the same Idempotency-Key`);
    }
    const refusal = updateFailureToApiError(err);
    if (refusal) throw refusal;
    // An ended workflow means something to the caller (see runUpdate).
    if (isWorkflowGone(err) || !isTemporalError(err)) throw err;
    const kind = (err as Error).constructor?.name ?? 'unknown';
    METRICS.temporalUnrecognised.inc({ kind });
    ctx.logger.error({ err, workflow_id: workflowId, kind }, 'unrecognised Temporal failure; answered 503');
    throw busy('the workflow could not take this change right now; retry with the same Idempotency-Key');
  }
}

/**
 * Runs a Workflow Update and maps its refusals to the contract's errors; a workflow that has
 * ended means its subject (`stop stop_…`, `route rte_…`) can no longer change.
 */
export async function runUpdate<T>(subject: string, currentStatus: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const mapped = updateFailureToApiError(err);
    if (mapped) throw mapped;
    if (isWorkflowGone(err)) throw new ApiError(409, 'conflict', `${subject} is ${currentStatus} and can no longer change`, { current_status: currentStatus });
    throw err;
  }
}
