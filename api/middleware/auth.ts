/** Bearer-key authentication (401). Scopes are checked from the route table (route-guards.ts). */
import type { RequestHandler } from 'express';
import { type AuthContext, authenticateApiKey, hashApiKey } from '../../common/auth/api-keys';
import type { Db } from '../../common/db/connect';
import { ApiError } from '../errors';

/**
 * A valid key is looked up in Postgres at most every AUTH_CACHE_MS per API process (a query per
 * request was a measurable share of a request's cost); a revoked key stops working within that.
 */
const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 10_000;

export function authenticate(db: Db): RequestHandler {
  const cache = new Map<string, { auth: AuthContext; until: number }>();
  const lookUp = async (presented: string): Promise<AuthContext | null> => {
    const hash = hashApiKey(presented);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.auth;
    const auth = await authenticateApiKey(db, presented);
    if (!auth) cache.delete(hash);
    else {
      if (cache.size >= AUTH_CACHE_MAX) cache.clear();
      cache.set(hash, { auth, until: Date.now() + AUTH_CACHE_MS });
    }
    return auth;
  };
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (!match) {
      throw new ApiError(401, 'unauthorized', 'missing or malformed Authorization header; expected "Bearer <api key>"');
    }
    const auth = await lookUp(match[1]!);
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
