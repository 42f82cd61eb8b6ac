/** Public system endpoints (health, time, changelog, the document) and the caller's own account. */
import { Router } from 'express';
import { PARTNER_CHANGELOG } from '../../../common/partners/changelog';
import { NAVEERA_API_VERSION } from '../../../common/dialects/profiles';
import type { ApiContext } from '../../context';
import { dependencyChecks } from '../../routes/public';
import { partnerOf } from '../auth';
import { buildPartnerDocument } from '../operations';
import type { PartnerRateLimits } from '../rate-limit';

export function partnerPublicRoutes(ctx: ApiContext): Router {
  const router = Router();
  const document = buildPartnerDocument();

  router.get('/health', async (_req, res) => {
    const { checks, healthy } = await dependencyChecks(ctx);
    // Brokers see each dependency's state and latency, not its error text.
    const dependencies = Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, { status: c.status, latency_ms: c.latency_ms }]));
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'healthy' : 'unhealthy', version: NAVEERA_API_VERSION, timestamp: new Date().toISOString(), dependencies });
  });

  router.get('/time', (_req, res) => {
    const now = Date.now();
    res.json({ timestamp: new Date(now).toISOString(), unix: Math.floor(now / 1000), unix_ms: now });
  });

  router.get('/changelog', (_req, res) => {
    res.json(PARTNER_CHANGELOG);
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  return router;
}

export function partnerAccountRoutes(limits: PartnerRateLimits): Router {
  const router = Router();

  router.get('/me', (req, res) => {
    const p = partnerOf(req);
    res.json({ partner_id: p.partnerId, partner_type: 'broker', scopes: p.scopes, rate_limit_tier: p.tier, credential_id: p.credentialId });
  });

  router.get('/rate-limit-status', async (req, res) => {
    const p = partnerOf(req);
    res.json(await limits.status(p.partnerId, p.tier));
  });

  return router;
}
