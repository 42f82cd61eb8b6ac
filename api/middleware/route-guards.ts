/**
 * Decisions taken from the route table before any handler or stored answer is involved:
 * a wrong method is 405 (OPTIONS is 204) with `Allow`; a key without the operation's scope is
 * 403, before an Idempotency-Key could replay anything; a route that takes no query refuses one.
 */
import type { RequestHandler } from 'express';
import { ApiError, clip } from '../errors';
import { allowedMethods, findOperation } from '../route-table';

const fullPath = (req: Parameters<RequestHandler>[0]): string => `${req.baseUrl}${req.path}`;

export const methodGuard: RequestHandler = (req, res, next) => {
  const path = fullPath(req);
  if (findOperation(req.method, path)) return next();
  const allowed = allowedMethods(path);
  if (allowed.length === 0) return next(); // not ours: the 404 handler answers
  res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  throw new ApiError(405, 'method_not_allowed', `${clip(req.method, 20)} is not allowed here; use ${allowed.join(', ')}`, { allowed });
};

/** Behind `authenticate`: the operation's scope, checked first. An unknown /v1 path is 404 here. */
export const scopeGuard: RequestHandler = (req, _res, next) => {
  const op = findOperation(req.method, fullPath(req));
  if (!op) throw new ApiError(404, 'not_found', `no route for ${clip(req.method, 20)} ${clip(fullPath(req), 200)}`);
  if (op.scope && op.scope !== 'any' && !req.auth?.scopes.includes(op.scope)) {
    throw new ApiError(403, 'forbidden', `this API key lacks the "${op.scope}" scope`, { required_scope: op.scope });
  }
  next();
};

export const queryGuard: RequestHandler = (req, _res, next) => {
  const keys = Object.keys(req.query as object);
  if (keys.length === 0) return next();
  const op = findOperation(req.method, fullPath(req));
  if (op && !op.query) {
    throw new ApiError(400, 'validation_error', `this route takes no query parameters; got ${keys.slice(0, 5).map((k) => clip(k, 40)).join(', ')}`, {
      field: clip(keys[0]!, 100),
    });
  }
  next();
};
