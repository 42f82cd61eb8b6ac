/**
 * The Partner API for brokers, mounted at /api/partner/v1: the Naveera seed's endpoints, codes,
 * error shapes, tiers and headers. The method is checked first, public routes answer, then the
 * same request checks as /v1 (middleware/request-checks.ts) with the partner's credentials.
 */
import { Router } from 'express';
import type { ApiContext } from '../context';
import { errorHandler, unknownRoute } from '../middleware/errors';
import { requestChecks } from '../middleware/request-checks';
import { routeGuards } from '../middleware/route-guards';
import { RouteTable } from '../route-table';
import { authenticatePartners, partnerOf } from './auth';
import { renderPartnerError } from './errors';
import { PARTNER_BASE, PARTNER_OPERATIONS } from './operations';
import { PartnerRateLimits, partnerRateLimit } from './rate-limit';
import { partnerAccountRoutes, partnerPublicRoutes } from './routes/account';
import { tripRoutes } from './routes/trips';
import { partnerWebhookRoutes } from './routes/webhooks';

export { PARTNER_BASE };

export function partnerApi(ctx: ApiContext): Router {
  const router = Router();
  const guards = routeGuards(new RouteTable(PARTNER_OPERATIONS), (req) => req.partner?.scopes ?? []);
  const limits = new PartnerRateLimits(ctx.pool);

  router.use(guards.methodGuard);
  router.use(partnerPublicRoutes(ctx));
  router.use(requestChecks(ctx, { authenticate: authenticatePartners(ctx.db), guards, rateLimit: partnerRateLimit(limits), ownerOf: (req) => partnerOf(req).partnerId }));
  router.use(partnerAccountRoutes(limits));
  router.use(tripRoutes(ctx));
  router.use(partnerWebhookRoutes(ctx));
  router.use(unknownRoute);
  router.use(errorHandler(ctx.logger, renderPartnerError));
  return router;
}
