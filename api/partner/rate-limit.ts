/**
 * The seed's tiered rate limits per partner: per minute, per day and burst, shared by every API
 * replica through leases from Postgres (api/leased-window.ts), without a write per request. A
 * minute's requests beyond the per-minute limit, up to the burst, draw on an allowance that
 * refills every BURST_REFILL_SECONDS. Every answer carries the per-minute headers; past a limit it
 * is 429 RATE_LIMIT_EXCEEDED with Retry-After and the seed's details.
 */
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { PartnerTier } from '../../common/partners/scopes';
import { BURST_REFILL_SECONDS, TIER_LIMITS } from '../../common/partners/tiers';
import { rateLimited } from '../errors';
import { LeasedWindow, resetAtOf, type WindowState } from '../leased-window';
import { partnerOf } from './auth';

interface TierWindows {
  minute: LeasedWindow;
  burst: LeasedWindow;
  day: LeasedWindow | null;
}

export class PartnerRateLimits {
  private readonly tiers = new Map<PartnerTier, TierWindows>();

  constructor(private readonly pool: Pool) {}

  private windowsOf(tier: PartnerTier): TierWindows {
    let windows = this.tiers.get(tier);
    if (!windows) {
      const t = TIER_LIMITS[tier];
      const window = (name: string, limit: number, seconds: number) => new LeasedWindow(this.pool, `partner-${name}-${tier}`, limit, seconds * 1000);
      windows = {
        minute: window('minute', t.perMinute, 60),
        burst: window('burst', t.burst - t.perMinute, BURST_REFILL_SECONDS),
        day: t.perDay ? window('day', t.perDay, 86_400) : null,
      };
      this.tiers.set(tier, windows);
    }
    return windows;
  }

  /** Takes one request from the partner's allowance: the minute's, else the burst's; and the day's. */
  async consume(partnerId: string, tier: PartnerTier): Promise<{ minute: WindowState; refused?: WindowState }> {
    const w = this.windowsOf(tier);
    const minute = await w.minute.take(partnerId);
    if (!minute.allowed && !(await w.burst.take(partnerId)).allowed) return { minute, refused: minute };
    const day = await w.day?.take(partnerId);
    if (day && !day.allowed) return { minute, refused: day };
    return { minute };
  }

  /** Where the partner stands, without taking anything. */
  async status(partnerId: string, tier: PartnerTier) {
    const w = this.windowsOf(tier);
    const t = TIER_LIMITS[tier];
    const [m, b, d] = await Promise.all([w.minute.peek(partnerId), w.burst.peek(partnerId), w.day?.peek(partnerId) ?? null]);
    return {
      tier,
      // Enterprise has no daily limit: the per_day entries are absent rather than invented.
      limits: { per_minute: t.perMinute, burst: t.burst, ...(d ? { per_day: t.perDay! } : {}) },
      current_usage: { minute: m.used, burst: b.used, ...(d ? { day: d.used } : {}) },
      remaining: { minute: m.remaining, burst: b.remaining, ...(d ? { day: d.remaining } : {}) },
      reset_seconds: Math.ceil(m.resetMs / 1000),
    };
  }
}

export function partnerRateLimit(limits: PartnerRateLimits): RequestHandler {
  return async (req, res, next) => {
    const { partnerId, tier } = partnerOf(req);
    const { minute, refused } = await limits.consume(partnerId, tier);
    res.setHeader('X-RateLimit-Limit', String(minute.limit));
    res.setHeader('X-RateLimit-Remaining', String(refused ? 0 : minute.remaining));
    const resetAt = resetAtOf(refused ?? minute);
    res.setHeader('X-RateLimit-Reset', String(resetAt));
    if (refused) throw rateLimited(refused, resetAt);
    next();
  };
}
