/** GET /v1/me: who the presented key is. */
import { Router } from 'express';
import { authOf } from '../middleware/auth';

export function accountRoutes(): Router {
  const router = Router();
  router.get('/me', (req, res) => {
    const auth = authOf(req);
    res.json({
      tenant_id: auth.tenantId,
      key_id: auth.keyId,
      scopes: auth.scopes,
      rate_limit_tier: auth.rateLimitPerMinute === null ? 'standard' : 'custom',
    });
  });
  return router;
}
