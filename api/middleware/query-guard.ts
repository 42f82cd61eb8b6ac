/**
 * Routes that take no query parameters refuse them (400) instead of ignoring them, so a typo in
 * a filter never silently returns everything. Which routes take a query comes from OPERATIONS.
 */
import type { RequestHandler } from 'express';
import { ApiError } from '../errors';
import { OPERATIONS } from '../openapi';

const matchers = OPERATIONS.map((o) => ({
  method: o.method.toUpperCase(),
  regex: new RegExp(`^${o.path.replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`),
  takesQuery: o.query !== undefined,
}));

export const queryGuard: RequestHandler = (req, _res, next) => {
  const keys = Object.keys(req.query as object);
  if (keys.length === 0) return next();
  const path = `${req.baseUrl}${req.path}`;
  const op = matchers.find((m) => m.method === req.method && m.regex.test(path));
  if (op && !op.takesQuery) {
    throw new ApiError(400, 'validation_error', `this route takes no query parameters; got ${keys.slice(0, 5).join(', ')}`, { field: keys[0] });
  }
  next();
};
