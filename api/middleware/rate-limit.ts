/**
 * Per-key rate limits, shared by every API replica through leases from Postgres
 * (api/leased-window.ts): no Postgres write per request, never more than the limit across
 * replicas. Every response says where the caller stands; past the limit it is a 429 with
 * Retry-After and the Naveera seed's details.
 */
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { rateLimited } from '../errors';
import { LeasedWindow, resetAtOf, type Taken, type WindowState } from '../leased-window';

export const DEFAULT_REQUESTS_PER_MINUTE = 100;
const WINDOW_MS = 60_000;

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: number;
}

const stateOf = (w: WindowState): RateLimitState => ({ limit: w.limit, remaining: w.remaining, resetAt: resetAtOf(w) });

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

  consume(keyId: string, points: number): Promise<Taken> {
    return this.windowFor(points).take(keyId);
  }

  async peek(keyId: string, points: number): Promise<RateLimitState> {
    return stateOf(await this.windowFor(points).peek(keyId));
  }
}

export const limitOf = (perMinute: number | null): number => perMinute ?? DEFAULT_REQUESTS_PER_MINUTE;

export function rateLimit(limits: RateLimits): RequestHandler {
  return async (req, res, next) => {
    const auth = req.auth!;
    const taken = await limits.consume(auth.keyId, limitOf(auth.rateLimitPerMinute));
    const state = stateOf(taken);
    res.setHeader('X-RateLimit-Limit', String(state.limit));
    res.setHeader('X-RateLimit-Remaining', String(state.remaining));
    res.setHeader('X-RateLimit-Reset', String(state.resetAt));
    if (!taken.allowed) throw rateLimited(taken, state.resetAt);
    next();
  };
}
