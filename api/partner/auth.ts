/**
 * Partner authentication: `Authorization: Bearer <key id>:<secret>` (401 UNAUTHORIZED otherwise).
 * Like /v1 keys, a valid credential is looked up at most every AUTH_CACHE_MS per API process, so
 * a revoked key stops working within that.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Db } from '../../common/db/connect';
import { authenticatePartner, type PartnerAuth } from '../../common/partners/partners';
import { ApiError } from '../errors';

const AUTH_CACHE_MS = 5_000;
const AUTH_CACHE_MAX = 10_000;

export function authenticatePartners(db: Db): RequestHandler {
  const cache = new Map<string, { auth: PartnerAuth; until: number }>();
  return async (req, _res, next) => {
    const match = /^Bearer ([^\s]+)$/i.exec((req.get('authorization') ?? '').trim());
    if (!match) throw new ApiError(401, 'unauthorized', 'Missing or malformed Authorization header; expected "Bearer {key_id}:{secret_key}"');
    const presented = match[1]!;
    const digest = createHash('sha256').update(presented).digest('hex');
    const hit = cache.get(digest);
    let auth = hit && hit.until > Date.now() ? hit.auth : null;
    if (!auth) {
      auth = await authenticatePartner(db, presented);
      if (!auth) {
        cache.delete(digest);
        throw new ApiError(401, 'unauthorized', 'Invalid or revoked API credentials');
      }
      if (cache.size >= AUTH_CACHE_MAX) cache.clear();
      cache.set(digest, { auth, until: Date.now() + AUTH_CACHE_MS });
    }
    req.partner = auth;
    next();
  };
}

/** The authenticated partner; only valid behind `authenticatePartners`. */
export function partnerOf(req: Request): PartnerAuth {
  if (!req.partner) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return req.partner;
}
