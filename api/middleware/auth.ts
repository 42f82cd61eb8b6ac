/** Bearer-key authentication (401). Scopes are checked from the route table (route-guards.ts). */
import type { RequestHandler } from 'express';
import { authenticateApiKey } from '../../common/auth/api-keys';
import type { Db } from '../../common/db/connect';
import { ApiError } from '../errors';

export function authenticate(db: Db): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (!match) {
      throw new ApiError(401, 'unauthorized', 'missing or malformed Authorization header; expected "Bearer <api key>"');
    }
    const auth = await authenticateApiKey(db, match[1]!);
    if (!auth) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
    req.auth = auth;
    next();
  };
}

/** The authenticated caller; only valid behind `authenticate`. */
export function authOf(req: Parameters<RequestHandler>[0]): NonNullable<typeof req.auth> {
  if (!req.auth) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return req.auth;
}
