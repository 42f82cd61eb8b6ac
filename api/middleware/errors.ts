/** The last two handlers: unknown routes (404) and every thrown error, always as contract JSON. */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { racedConstraint, type RacedConstraint } from '../../common/db/errors';
import type { Logger } from '../../common/logger';
import { QuotaExceededError } from '../../common/quotas';
import { ApiError, clip, quotaExceeded } from '../errors';
import { answerLeavesRecord, keyInProgress } from './idempotency';

export const unknownRoute: RequestHandler = (req) => {
  throw new ApiError(404, 'not_found', `no route for ${clip(req.method, 20)} ${clip(req.path, 200)}`);
};

/** body-parser and raw-body tag their errors with a `type`; map each to the contract. */
function fromBodyParser(err: { type?: string; status?: number; message?: string }): ApiError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'validation_error', 'request body is not valid JSON', { field: '(body)' });
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', 'request body is larger than the limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', 'request bodies must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new ApiError(400, 'validation_error', 'request body could not be read');
    default:
      return undefined;
  }
}

const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** A dependency that is down (Postgres unreachable, Temporal UNAVAILABLE) is a 503, not a bug. */
function isDependencyOutage(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && PG_UNAVAILABLE.has(e.code)) return true;
  // Any failure to connect (a Unix socket that is gone says ENOENT).
  if ((e as { syscall?: unknown }).syscall === 'connect') return true;
  if (e.code === 14) return true; // gRPC UNAVAILABLE
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|14 UNAVAILABLE/.test(message)) return true;
  return e.cause !== undefined && e.cause !== err && isDependencyOutage(e.cause);
}

/** Writes an error answer in one API's shape (the /v1 contract's, or the Partner API's). */
export type ErrorRenderer = (res: Response, error: ApiError) => void;

export const renderContractError: ErrorRenderer = (res, error) => {
  res.status(error.status).json(error.toBody());
};

/**
 * A keyed request's created id is derived from its key, so the same keyed request running twice
 * at once (a retry that took over a record it judged abandoned) meets its twin's row here, in
 * whichever handler created it; the answer is the idempotency check's own.
 */
const KEYED_IDS: readonly RacedConstraint[] = ['stops_pkey', 'routes_pkey', 'webhook_subscriptions_pkey'];
const keyedTwin = (req: Request, res: Response, err: unknown): ApiError | undefined => {
  const constraint = racedConstraint(err);
  if (!req.idempotency || !constraint || !KEYED_IDS.includes(constraint)) return undefined;
  answerLeavesRecord(res);
  return keyInProgress();
};

export function errorHandler(logger: Logger, render: ErrorRenderer = renderContractError): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known =
      err instanceof ApiError
        ? err
        : err instanceof QuotaExceededError
          ? quotaExceeded(err)
          : keyedTwin(req, res, err) ??
          fromBodyParser(err ?? {}) ??
          // Other http-errors (e.g. a URI that cannot be decoded) carry a 4xx status of their own.
          (typeof err?.status === 'number' && err.status >= 400 && err.status < 500
            ? new ApiError(err.status === 404 ? 404 : 400, err.status === 404 ? 'not_found' : 'validation_error', 'bad request')
            : undefined);
    if (known) {
      if (known.status === 429 || known.status === 503) res.setHeader('Retry-After', String(known.details.retry_after ?? 1));
      render(res, known);
      return;
    }
    if (isDependencyOutage(err)) {
      logger.warn({ err: (err as Error).message, request_id: req.id }, 'dependency unavailable');
      res.setHeader('Retry-After', '2');
      render(res, new ApiError(503, 'service_unavailable', 'a backing service is unavailable; retry shortly', { request_id: req.id }));
      return;
    }
    logger.error({ err, request_id: req.id }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    render(res, new ApiError(500, 'internal_error', 'internal error; safe to retry', { request_id: req.id }));
  };
}
