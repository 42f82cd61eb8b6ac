/** Who the presented key is (`/v1/me`) and where it stands against its rate limit. */
import { Router } from 'express';
import { authOf } from '../middleware/auth';
import { DEFAULT_REQUESTS_PER_MINUTE, limitOf, type RateLimits } from '../middleware/rate-limit';

const tierOf = (perMinute: number | null): string => (perMinute === null || perMinute === DEFAULT_REQUESTS_PER_MINUTE ? 'standard' : 'custom');

export function accountRoutes(limits: RateLimits): Router {
  const router = Router();
  router.get('/me', (req, res) => {
    const auth = authOf(req);
    res.json({
      tenant_id: auth.tenantId,
      key_id: auth.keyId,
      scopes: auth.scopes,
      rate_limit_tier: tierOf(auth.rateLimitPerMinute),
      rate_limit_per_minute: limitOf(auth.rateLimitPerMinute),
    });
  });
  router.get('/rate-limit-status', async (req, res) => {
    const auth = authOf(req);
    const state = await limits.peek(auth.keyId, limitOf(auth.rateLimitPerMinute));
    res.json({ tier: tierOf(auth.rateLimitPerMinute), limit: state.limit, remaining: state.remaining, reset_at: state.resetAt, window_seconds: 60 });
  });
  return router;
}
