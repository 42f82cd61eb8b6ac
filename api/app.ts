/** Assembles the Express app: request ids and logs, public routes, then the authenticated /v1. */
import express, { Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { ApiContext } from './context';
import { authenticate, authOf } from './middleware/auth';
import { errorHandler, unknownRoute } from './middleware/errors';
import { routeGuards } from './middleware/route-guards';
import { OPERATIONS } from './openapi';
import { RouteTable } from './route-table';
import { rateLimit, RateLimits } from './middleware/rate-limit';
import { requestChecks } from './middleware/request-checks';
import { httpMetrics } from './middleware/http-metrics';
import { requestId } from './middleware/request-id';
import { accountRoutes } from './routes/account';
import { consoleRoutes } from './routes/console';
import { docsRoutes } from './routes/docs';
import { deliveryRoutes } from './routes/deliveries';
import { driverRoutes } from './routes/drivers';
import { eventRoutes } from './routes/events';
import { importRoutes } from './routes/imports';
import { probeRoutes } from './routes/probes';
import { publicRoutes } from './routes/public';
import { recoveryRoutes } from './routes/recoveries';
import { routeRoutes } from './routes/routes';
import { zippexWebhookRoutes } from './routes/zippex-webhooks';
import { stopRoutes } from './routes/stops';
import { subscriptionRoutes } from './routes/subscriptions';
import { PARTNER_BASE, partnerApi } from './partner/app';

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(requestId);
  app.use(httpMetrics);
  app.use(
    pinoHttp({
      logger: ctx.logger,
      genReqId: (req) => (req as express.Request).id,
      customProps: (req) => ({ request_id: (req as express.Request).id }),
      autoLogging: { ignore: (req) => req.url === '/health' },
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    }),
  );

  const guards = routeGuards(new RouteTable(OPERATIONS), (req) => req.auth?.scopes ?? []);
  // Wrong methods on known paths (405, OPTIONS 204) are answered before anything else.
  app.use(guards.methodGuard);
  app.use(publicRoutes(ctx));
  app.use(probeRoutes(ctx));
  app.use(docsRoutes());
  app.use(consoleRoutes());
  // Brokers' API: its own auth, limits and error shapes.
  app.use(PARTNER_BASE, partnerApi(ctx));

  const v1 = Router();
  const limits = new RateLimits(ctx.pool);
  v1.use(requestChecks(ctx, { authenticate: authenticate(ctx.db), guards, rateLimit: rateLimit(limits), ownerOf: (req) => authOf(req).tenantId }));
  v1.use(accountRoutes(limits, ctx.db, ctx.config));
  v1.use(importRoutes(ctx));
  v1.use(stopRoutes(ctx));
  v1.use(driverRoutes(ctx));
  v1.use(routeRoutes(ctx));
  v1.use(subscriptionRoutes(ctx));
  v1.use(deliveryRoutes(ctx));
  v1.use(recoveryRoutes(ctx));
  v1.use(zippexWebhookRoutes(ctx));
  v1.use(eventRoutes(ctx));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(ctx.logger));
  return app;
}
