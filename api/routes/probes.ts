/**
 * What orchestrators and Prometheus ask: `/livez` (the process answers), `/readyz` (it can serve:
 * Postgres and Temporal reachable, not draining; a load balancer stops sending on 503) and
 * `/metrics` (Prometheus text; only with `HUB_METRICS_TOKEN` when one is set).
 */
import { Router } from 'express';
import { metricsAllowed } from '../../common/metrics/bearer';
import { METRICS_CONTENT_TYPE, metricsText } from '../../common/metrics/state-gauges';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { dependencyChecks } from './public';

/** Set on the app when the server starts draining (see api/server.ts). */
export const DRAINING = 'draining';

export function probeRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    if (req.app.locals[DRAINING]) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const { checks, healthy } = await dependencyChecks(ctx);
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ready' : 'unavailable', checks });
  });

  router.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req.headers.authorization, ctx.config.metrics.token)) throw new ApiError(401, 'unauthorized', 'this endpoint needs the metrics token');
    res.type(METRICS_CONTENT_TYPE).send(await metricsText(ctx.db));
  });

  return router;
}
