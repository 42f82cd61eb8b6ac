/**
 * Decisions taken from an API's route table before any handler or stored answer is involved:
 * a wrong method is 405 (OPTIONS is 204) with `Allow`; a key without the operation's scope is
 * 403, before an Idempotency-Key could replay anything; a route that takes no query refuses one.
 */
import type { Request, RequestHandler } from 'express';
import { ApiError, clip } from '../errors';
import type { RouteTable } from '../route-table';

const fullPath = (req: Request): string => `${req.baseUrl}${req.path}`;

export interface RouteGuards {
  methodGuard: RequestHandler;
  scopeGuard: RequestHandler;
  queryGuard: RequestHandler;
}

/** `scopesOf` reads the authenticated caller's scopes (the guard runs behind authentication). */
export function routeGuards(table: RouteTable, scopesOf: (req: Request) => readonly string[]): RouteGuards {
  const methodGuard: RequestHandler = (req, res, next) => {
    const path = fullPath(req);
    if (table.find(req.method, path)) return next();
    const allowed = table.allowedMethods(path);
    if (allowed.length === 0) return next(); // not ours: the 404 handler answers
    res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new ApiError(405, 'method_not_allowed', `${clip(req.method, 20)} is not allowed here; use ${allowed.join(', ')}`, { allowed });
  };

  /** The operation's scope, checked first. An unknown path under the API is 404 here. */
  const scopeGuard: RequestHandler = (req, _res, next) => {
    const op = table.find(req.method, fullPath(req));
    if (!op) throw new ApiError(404, 'not_found', `no route for ${clip(req.method, 20)} ${clip(fullPath(req), 200)}`);
    if (op.scope && op.scope !== 'any' && !scopesOf(req).includes(op.scope)) {
      throw new ApiError(403, 'forbidden', `this API key lacks the "${op.scope}" scope`, { required_scope: op.scope });
    }
    next();
  };

  const queryGuard: RequestHandler = (req, _res, next) => {
    const keys = Object.keys(req.query as object);
    if (keys.length === 0) return next();
    const op = table.find(req.method, fullPath(req));
    if (op && !op.query) {
      throw new ApiError(400, 'validation_error', `this route takes no query parameters; got ${keys.slice(0, 5).map((k) => clip(k, 40)).join(', ')}`, {
        field: clip(keys[0]!, 100),
        location: 'query',
      });
    }
    next();
  };

  return { methodGuard, scopeGuard, queryGuard };
}
