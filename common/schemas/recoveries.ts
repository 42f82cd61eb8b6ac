/** Request and response schemas for recovery, replay and a subscription's stats. */
import { z } from 'zod';
import { EVENT_RETENTION_DAYS } from '../events/append';
import { isoDateTime } from './primitives';

const RETENTION_MS = EVENT_RETENTION_DAYS * 86_400_000;

/** A window within the events' retention, `until` after `since`; each problem names its field. */
function checkWindow(w: { since?: string; until?: string | null }, ctx: z.RefinementCtx): void {
  const since = w.since ? Date.parse(w.since) : undefined;
  const until = w.until ? Date.parse(w.until) : undefined;
  if (since !== undefined && since < Date.now() - RETENTION_MS) {
    ctx.addIssue({ code: 'custom', path: ['since'], message: `must be within the last ${EVENT_RETENTION_DAYS} days (events are kept that long)` });
  }
  if (since !== undefined && until !== undefined && until <= since) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
}

export const recoverSchema = z.strictObject({ since: isoDateTime, until: isoDateTime.nullish() }).superRefine(checkWindow);
export type RecoverInput = z.infer<typeof recoverSchema>;

export const MAX_REPLAY_EVENTS = 1000;
export const replaySchema = z
  .strictObject({
    event_ids: z.array(z.string().max(64).regex(/^evt_[0-9A-Za-z_]{1,60}$/, 'must be an evt_… id')).min(1).max(MAX_REPLAY_EVENTS).optional(),
    since: isoDateTime.optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.event_ids === !v.since) ctx.addIssue({ code: 'custom', path: ['event_ids'], message: 'give event_ids or since (one of the two)' });
    checkWindow(v, ctx);
  });
export type ReplayInput = z.infer<typeof replaySchema>;

export const STATS_WINDOWS = { '1h': { ms: 3_600_000, bucket: '5 minutes' }, '24h': { ms: 86_400_000, bucket: '1 hour' }, '7d': { ms: 7 * 86_400_000, bucket: '6 hours' } } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;
export const statsQuerySchema = z.strictObject({ window: z.enum(['1h', '24h', '7d']).default('24h') });

export const recoveryResourceSchema = z.object({
  id: z.string(),
  subscription_id: z.string(),
  kind: z.enum(['recover', 'replay']),
  status: z.enum(['running', 'completed', 'cancelled']),
  since: z.string().nullable(),
  until: z.string().nullable(),
  total: z.number().int(),
  queued: z.number().int(),
  sent: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type RecoveryResource = z.infer<typeof recoveryResourceSchema>;

const outcomeCounts = z.object({ succeeded: z.number().int(), failed: z.number().int() });
export const statsResourceSchema = z.object({
  subscription_id: z.string(),
  window: z.enum(['1h', '24h', '7d']),
  tries: outcomeCounts.extend({ total: z.number().int() }),
  success_rate: z.number().nullable(),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  last_success_at: z.string().nullable(),
  last_failure_at: z.string().nullable(),
  last_error: z.string().nullable(),
  buckets: z.array(outcomeCounts.extend({ start: z.string() })),
});
export type StatsResource = z.infer<typeof statsResourceSchema>;
