/** The seed's rate-limit tiers. `perDay: null` is unlimited. */
import type { PartnerTier } from './scopes';

export interface TierLimits {
  perMinute: number;
  perDay: number | null;
  /** The most requests in one minute: the excess over `perMinute` comes from an allowance refilled every BURST_REFILL_SECONDS. */
  burst: number;
}

export const TIER_LIMITS: Record<PartnerTier, TierLimits> = {
  standard: { perMinute: 60, perDay: 10_000, burst: 100 },
  premium: { perMinute: 300, perDay: 100_000, burst: 500 },
  enterprise: { perMinute: 1_000, perDay: null, burst: 2_000 },
};

export const BURST_REFILL_SECONDS = 600;
