/** Who a key is (`GET /v1/me`, with its tenant's quotas) and where it stands against its rate limit. */
import { z } from 'zod';

const quotaSchema = z.object({
  limit: z.number().int(),
  used: z.number().int(),
  /** `tenant`: set for this tenant with hub-admin; `default`: the hub's. */
  source: z.enum(['tenant', 'default']),
});
export const meSchema = z.object({
  tenant_id: z.string(),
  key_id: z.string(),
  scopes: z.array(z.string()),
  rate_limit_tier: z.string(),
  rate_limit_per_minute: z.number().int(),
  quotas: z.object({
    stops_per_day: quotaSchema.extend({ resets_at: z.string() }).describe('Stops created today (UTC), by POST /v1/stops and imports'),
    imports_in_flight: quotaSchema.describe('Imports whose stops have not all started their lifecycle (GET /v1/imports/:id not yet `completed`)'),
    recoveries_in_flight: quotaSchema.describe('Recoveries and replays running'),
  }),
});
export type MeResource = z.infer<typeof meSchema>;
export const rateLimitStatusSchema = z.object({ tier: z.string(), limit: z.number().int(), remaining: z.number().int(), reset_at: z.number().int(), window_seconds: z.number().int() });
export type RateLimitStatus = z.infer<typeof rateLimitStatusSchema>;
