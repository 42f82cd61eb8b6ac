/**
 * The seed's tiered rate limits per partner: per minute, per day and burst, counted in Postgres
 * (rate-limiter-flexible's store) so every API replica shares them. A minute's requests beyond
 * the per-minute limit, up to the burst, draw on an allowance that refills every
 * BURST_REFILL_SECONDS. Every answer carries the per-minute headers; past a limit it is 429
 * RATE_LIMIT_EXCEEDED with Retry-After and the seed's details.
 */
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { BurstyRateLimiter, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { PartnerTier } from '../../common/partners/scopes';
import { BURST_REFILL_SECONDS, TIER_LIMITS } from '../../common/partners/tiers';
import { ApiError } from '../errors';
import { partnerOf } from './auth';

interface TierLimiters {
  minute: RateLimiterPostgres;
  burst: RateLimiterPostgres;
  minuteOrBurst: BurstyRateLimiter;
  day: RateLimiterPostgres | null;
}

interface Window {
  limit: number;
  used: number;
  remaining: number;
  resetMs: number;
}

const windowOf = (limit: number, res: RateLimiterRes | null, durationMs: number): Window => ({
  limit,
  used: Math.min(limit, res?.consumedPoints ?? 0),
  remaining: Math.max(0, res?.remainingPoints ?? limit),
  resetMs: res?.msBeforeNext ?? durationMs,
});

const unixAfter = (ms: number): number => Math.ceil((Date.now() + ms) / 1000);

export class PartnerRateLimits {
  private readonly tiers = new Map<PartnerTier, TierLimiters>();

  constructor(private readonly pool: Pool) {}

  private store(prefix: string, points: number, duration: number): RateLimiterPostgres {
    return new RateLimiterPostgres({ storeClient: this.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, keyPrefix: prefix, points, duration });
  }

  private limitersOf(tier: PartnerTier): TierLimiters {
    let limiters = this.tiers.get(tier);
    if (!limiters) {
      const t = TIER_LIMITS[tier];
      const minute = this.store(`partner-minute-${tier}`, t.perMinute, 60);
      const burst = this.store(`partner-burst-${tier}`, t.burst - t.perMinute, BURST_REFILL_SECONDS);
      limiters = { minute, burst, minuteOrBurst: new BurstyRateLimiter(minute, burst), day: t.perDay ? this.store(`partner-day-${tier}`, t.perDay, 86_400) : null };
      this.tiers.set(tier, limiters);
    }
    return limiters;
  }

  /** Takes one request from the partner's allowance. */
  async consume(partnerId: string, tier: PartnerTier): Promise<{ minute: Window; refused?: Window }> {
    const l = this.limitersOf(tier);
    const t = TIER_LIMITS[tier];
    try {
      const res = await l.minuteOrBurst.consume(partnerId);
      if (l.day) {
        try {
          await l.day.consume(partnerId);
        } catch (err) {
          if (!(err instanceof RateLimiterRes)) throw err;
          return { minute: windowOf(t.perMinute, res, 60_000), refused: windowOf(t.perDay!, err, 86_400_000) };
        }
      }
      return { minute: windowOf(t.perMinute, res, 60_000) };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const minute = windowOf(t.perMinute, err, 60_000);
      return { minute, refused: minute };
    }
  }

  /** Where the partner stands, without taking anything. */
  async status(partnerId: string, tier: PartnerTier) {
    const l = this.limitersOf(tier);
    const t = TIER_LIMITS[tier];
    const [minute, burst, day] = await Promise.all([l.minute.get(partnerId), l.burst.get(partnerId), l.day?.get(partnerId) ?? null]);
    const m = windowOf(t.perMinute, minute, 60_000);
    const b = windowOf(t.burst - t.perMinute, burst, BURST_REFILL_SECONDS * 1000);
    const d = t.perDay ? windowOf(t.perDay, day, 86_400_000) : null;
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
    res.setHeader('X-RateLimit-Reset', String(unixAfter((refused ?? minute).resetMs)));
    if (refused) {
      const retryAfter = Math.max(1, Math.ceil(refused.resetMs / 1000));
      throw new ApiError(429, 'rate_limited', `Rate limit exceeded. Retry after ${retryAfter} seconds.`, {
        limit: refused.limit,
        remaining: 0,
        reset_at: unixAfter(refused.resetMs),
        retry_after: retryAfter,
      });
    }
    next();
  };
}
