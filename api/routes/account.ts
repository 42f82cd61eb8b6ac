/** Who the presented key is (`/v1/me`, with the tenant's quotas) and where it stands against its rate limit. */
import { Router } from 'express';
import type { HubConfig } from '../../common/config';
import type { Db } from '../../common/db/connect';
import { nextUtcMidnight, type QuotaName, quotaUsage, tenantQuotas } from '../../common/quotas';
import { authOf } from '../middleware/auth';
import { DEFAULT_REQUESTS_PER_MINUTE, limitOf, type RateLimits } from '../middleware/rate-limit';
import type { MeResource, RateLimitStatus } from '../../common/schemas/account';

const tierOf = (perMinute: number | null): string => (perMinute === null || perMinute === DEFAULT_REQUESTS_PER_MINUTE ? 'standard' : 'custom');

export function accountRoutes(limits: RateLimits, db: Db, config: HubConfig): Router {
  const router = Router();
  router.get('/me', async (req, res) => {
    const auth = authOf(req);
    const [quotas, used] = await Promise.all([tenantQuotas(db, config.quotaDefaults, auth.tenantId), quotaUsage(db, auth.tenantId)]);
    const quota = (q: QuotaName) => ({ limit: quotas.limits[q], used: used[q], source: quotas.custom.includes(q) ? ('tenant' as const) : ('default' as const) });
    const body: MeResource = {
      tenant_id: auth.tenantId,
      key_id: auth.keyId,
      scopes: auth.scopes,
      rate_limit_tier: tierOf(auth.rateLimitPerMinute),
      rate_limit_per_minute: limitOf(auth.rateLimitPerMinute),
      quotas: {
        stops_per_day: { ...quota('stops_per_day'), resets_at: nextUtcMidnight().toISOString() },
        imports_in_flight: quota('imports_in_flight'),
        recoveries_in_flight: quota('recoveries_in_flight'),
      },
    };
    res.json(body);
  });
  router.get('/rate-limit-status', async (req, res) => {
    const auth = authOf(req);
    const state = await limits.peek(auth.keyId, limitOf(auth.rateLimitPerMinute));
    const status: RateLimitStatus = { tier: tierOf(auth.rateLimitPerMinute), limit: state.limit, remaining: state.remaining, reset_at: state.resetAt, window_seconds: 60 };
    res.json(status);
  });
  return router;
}
