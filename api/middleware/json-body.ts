/**
 * JSON bodies only: a body of any other type is 415, malformed JSON 400, too large 413, all in the
 * contract's error shape (body-parser's own errors are translated in the error handler).
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler } from 'express';
import { ApiError } from '../errors';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', 'request bodies must be application/json', {
        content_type: (req.get('content-type') ?? '').slice(0, 100) || null,
      });
    }
    next();
  };
  const verify = (req: Request, _res: unknown, buf: Buffer): void => {
    // Invalid UTF-8 is refused, not silently turned into replacement characters and stored.
    if (!isUtf8(buf)) throw new ApiError(400, 'validation_error', 'request body is not valid UTF-8', { field: '(body)' });
    // What an Idempotency-Key is bound to: the bytes as sent (no re-serialising of a parsed value).
    req.bodyHash = createHash('sha256').update(buf).digest('hex');
  };
  return [requireJson, express.json({ limit, strict: false, type: 'application/json', verify })];
}
