/**
 * What one try means for its delivery: the new status and, if it is to be tried again, how long
 * to wait. Pure, from the profile rules in ../shared/spec/providers.md: 2xx succeeds; anything
 * else fails; 410 Gone ends it at once; a 429/503 Retry-After is honoured up to the schedule's
 * longest wait.
 */
import type { AttemptOutcome } from './http-attempt';

export interface TryPlan {
  /** 1-based number of this try over the delivery's whole life. */
  attempt: number;
  maxAttempts: number;
  /** Tries made before the current series (a manual retry starts a new one on the same schedule). */
  retryBase: number;
  /** Waits after each failed try of a series. */
  delaysSeconds: readonly number[];
}

export interface Judgement {
  status: 'succeeded' | 'retrying' | 'failed';
  /** The wait before the next try, from the end of this one (0 unless retrying). */
  waitMs: number;
  ok: boolean;
  gone: boolean;
  error: string | null;
}

export function judgeTry(plan: TryPlan, outcome: Pick<AttemptOutcome, 'statusCode' | 'error' | 'retryAfterSeconds'>): Judgement {
  const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
  const gone = outcome.statusCode === 410;
  const delay = plan.delaysSeconds[plan.attempt - plan.retryBase - 1];
  const last = plan.attempt >= plan.maxAttempts || delay === undefined;
  const status = ok ? 'succeeded' : gone || last ? 'failed' : 'retrying';
  const honoured =
    outcome.retryAfterSeconds !== null && (outcome.statusCode === 429 || outcome.statusCode === 503)
      ? Math.min(outcome.retryAfterSeconds, Math.max(0, ...plan.delaysSeconds))
      : 0;
  const waitMs = status === 'retrying' ? Math.max(delay ?? 0, honoured) * 1000 : 0;
  return { status, waitMs, ok, gone, error: ok ? null : (outcome.error ?? `HTTP ${outcome.statusCode}`) };
}
