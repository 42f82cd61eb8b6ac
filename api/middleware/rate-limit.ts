/**
 * Per-key rate limits, counted in Postgres (rate-limiter-flexible's store) so every API replica
 * shares them. Every response says where the caller stands; past the limit it is a 429 with
 * Retry-After and the Naveera seed's details.
 */
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../errors';

export const DEFAULT_REQUESTS_PER_MINUTE = 100;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: number;
}

export class RateLimits {
  private limiters = new Map<number, RateLimiterPostgres>();

  constructor(private readonly pool: Pool) {}

  /** One limiter per tier size; they share the table, keys are per API key. */
  private limiterFor(points: number): RateLimiterPostgres {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterPostgres({
        storeClient: this.pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: `rl${points}`,
        points,
        duration: 60,
      });
      this.limiters.set(points, limiter);
    }
    return limiter;
  }

  private state(points: number, res: RateLimiterRes | null): RateLimitState {
    const msBeforeNext = res?.msBeforeNext ?? 60_000;
    return {
      limit: points,
      remaining: Math.max(0, res?.remainingPoints ?? points),
      resetAt: Math.ceil((Date.now() + msBeforeNext) / 1000),
    };
  }

  async consume(keyId: string, points: number): Promise<{ allowed: boolean; state: RateLimitState; retryAfter: number }> {
    try {
      const res = await this.limiterFor(points).consume(keyId);
      return { allowed: true, state: this.state(points, res), retryAfter: 0 };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      return { allowed: false, state: this.state(points, err), retryAfter: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    }
  }

  async peek(keyId: string, points: number): Promise<RateLimitState> {
    return this.state(points, await this.limiterFor(points).get(keyId));
  }
}

export const limitOf = (perMinute: number | null): number => perMinute ?? DEFAULT_REQUESTS_PER_MINUTE;

export function rateLimit(limits: RateLimits): RequestHandler {
  return async (req, res, next) => {
    const auth = req.auth!;
    const { allowed, state, retryAfter } = await limits.consume(auth.keyId, limitOf(auth.rateLimitPerMinute));
    res.setHeader('X-RateLimit-Limit', String(state.limit));
    res.setHeader('X-RateLimit-Remaining', String(state.remaining));
    res.setHeader('X-RateLimit-Reset', String(state.resetAt));
    if (!allowed) {
      throw new ApiError(429, 'rate_limited', `Rate limit exceeded. Retry after ${retryAfter} seconds.`, {
        limit: state.limit,
        remaining: 0,
        reset_at: state.resetAt,
        retry_after: retryAfter,
      });
    }
    next();
  };
}
