/** Assembles the Express app: request ids and logs, public routes, then the authenticated /v1. */
import express, { Router } from 'express';
import { pinoHttp } from 'pino-http';
import type { ApiContext } from './context';
import { authenticate } from './middleware/auth';
import { errorHandler, unknownRoute } from './middleware/errors';
import { idempotency } from './middleware/idempotency';
import { jsonBody } from './middleware/json-body';
import { inputGuard } from './middleware/input-guard';
import { methodGuard, queryGuard, scopeGuard } from './middleware/route-guards';
import { rateLimit, RateLimits } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { SecretBox } from '../common/webhooks/secrets';
import { accountRoutes } from './routes/account';
import { docsRoutes } from './routes/docs';
import { deliveryRoutes } from './routes/deliveries';
import { driverRoutes } from './routes/drivers';
import { eventRoutes } from './routes/events';
import { importRoutes } from './routes/imports';
import { publicRoutes } from './routes/public';
import { stopRoutes } from './routes/stops';
import { subscriptionRoutes } from './routes/subscriptions';

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(requestId);
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

  // Wrong methods on known paths (405, OPTIONS 204) are answered before anything else.
  app.use(methodGuard);
  app.use(publicRoutes(ctx));
  app.use(docsRoutes());

  const v1 = Router();
  const limits = new RateLimits(ctx.pool);
  // Order matters: who is calling, may this key do this at all (before an Idempotency-Key can
  // replay a stored answer), rate limits, then the request's own shape.
  v1.use(authenticate(ctx.db));
  v1.use(scopeGuard);
  v1.use(rateLimit(limits));
  v1.use(queryGuard);
  v1.use(jsonBody(ctx.config.bodyLimit));
  v1.use(inputGuard);
  v1.use(idempotency(ctx.db, new SecretBox(ctx.config.secretKey)));
  v1.use(accountRoutes(limits));
  v1.use(importRoutes(ctx));
  v1.use(stopRoutes(ctx));
  v1.use(driverRoutes(ctx));
  v1.use(subscriptionRoutes(ctx));
  v1.use(deliveryRoutes(ctx));
  v1.use(eventRoutes(ctx));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(errorHandler(ctx.logger));
  return app;
}
