/**
 * Per-key rate limits, shared by every API replica through leases from Postgres
 * (api/leased-window.ts): no Postgres write per request, never more than the limit across
 * replicas. Every response says where the caller stands; past the limit it is a 429 with
 * Retry-After and the Naveera seed's details.
 */
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { ApiError } from '../errors';
import { LeasedWindow, type WindowState } from '../leased-window';

export const DEFAULT_REQUESTS_PER_MINUTE = 100;
const WINDOW_MS = 60_000;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: number;
}

const stateOf = (w: WindowState): RateLimitState => ({ limit: w.limit, remaining: w.remaining, resetAt: Math.ceil((Date.now() + w.resetMs) / 1000) });

export class RateLimits {
  /** One window per limit size (tenants' keys have their own); keys are per API key. */
  private readonly windows = new Map<number, LeasedWindow>();

  constructor(private readonly pool: Pool) {}

  private windowFor(points: number): LeasedWindow {
    let window = this.windows.get(points);
    if (!window) {
      window = new LeasedWindow(this.pool, `key${points}`, points, WINDOW_MS);
      this.windows.set(points, window);
    }
    return window;
  }

  async consume(keyId: string, points: number): Promise<{ allowed: boolean; state: RateLimitState; retryAfter: number }> {
    const taken = await this.windowFor(points).take(keyId);
    return { allowed: taken.allowed, state: stateOf(taken), retryAfter: taken.allowed ? 0 : Math.max(1, Math.ceil(taken.resetMs / 1000)) };
  }

  async peek(keyId: string, points: number): Promise<RateLimitState> {
    return stateOf(await this.windowFor(points).peek(keyId));
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
