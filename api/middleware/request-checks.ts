/**
 * The checks every authenticated request of an API passes, in the one order both APIs share:
 * who is calling; may this key do this at all (before an Idempotency-Key can replay a stored
 * answer); rate limits; then the request's own shape (query, JSON body, hostile strings); then
 * idempotency.
 */
import type { Request, RequestHandler } from 'express';
import type { ApiContext } from '../context';
import { SecretBox } from '../../common/subscriptions/secrets';
import { idempotency } from './idempotency';
import { inputGuard } from './input-guard';
import { jsonBody } from './json-body';
import type { RouteGuards } from './route-guards';

export interface RequestChecks {
  authenticate: RequestHandler;
  guards: RouteGuards;
  rateLimit: RequestHandler;
  /** Whose Idempotency-Keys these are (a tenant, a partner). */
  ownerOf: (req: Request) => string;
}

export const requestChecks = (ctx: ApiContext, c: RequestChecks): RequestHandler[] => [
  c.authenticate,
  c.guards.scopeGuard,
  c.rateLimit,
  c.guards.queryGuard,
  ...jsonBody(ctx.config.bodyLimit),
  inputGuard,
  idempotency(ctx.db, new SecretBox(ctx.config.secretKey), c.ownerOf),
];
