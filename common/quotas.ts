/**
 * Per-tenant quotas: stops created per UTC day, imports in flight, recoveries in flight. A
 * tenant's own limit (set with hub-admin) wins; null means the hub's default (config).
 *
 * - Stops per day: a counter row per tenant and UTC day, bumped by the statement that creates
 *   the stops (it refuses the bump, and so the whole creation, past the limit).
 * - Imports in flight: imports with a stop whose lifecycle has not started yet, i.e. those whose
 *   `GET /v1/imports/:id` is not `completed`; one still committing is counted by serialising the
 *   commits of a tenant's imports.
 * - Recoveries in flight: recoveries and replays that are `running`.
 */
import { type RawBuilder, sql } from 'kysely';
import type { QuotaLimits } from './config';
import type { Db } from './db/connect';
import type { TenantsTable } from './db/schema';

export const QUOTAS = ['stops_per_day', 'imports_in_flight', 'recoveries_in_flight'] as const;
export type QuotaName = (typeof QUOTAS)[number];

/** The tenants column holding each quota. */
export const QUOTA_COLUMNS = {
  stops_per_day: 'quota_stops_per_day',
  imports_in_flight: 'quota_imports_in_flight',
  recoveries_in_flight: 'quota_recoveries_in_flight',
} as const satisfies Record<QuotaName, keyof TenantsTable>;

/** How long waiting may help, when nothing says better: imports start their stops in seconds, recoveries take longer. */
const IN_FLIGHT_RETRY_AFTER_S: Record<Exclude<QuotaName, 'stops_per_day'>, number> = { imports_in_flight: 5, recoveries_in_flight: 30 };

const DESCRIPTIONS: Record<QuotaName, string> = {
  stops_per_day: 'stops created per day (UTC)',
  imports_in_flight: 'imports in flight',
  recoveries_in_flight: 'recoveries and replays in flight',
};

/** The next UTC midnight, when the day's stop count starts again. */
export const nextUtcMidnight = (now = new Date()): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));

export const secondsToUtcMidnight = (now = new Date()): number => Math.max(1, Math.ceil((nextUtcMidnight(now).getTime() - now.getTime()) / 1000));

/** A request the tenant's quota refuses; the API answers it as a 429 naming the quota. */
export class QuotaExceededError extends Error {
  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    readonly used: number,
    readonly requested: number,
  ) {
    super(`over the tenant's quota of ${limit} ${DESCRIPTIONS[quota]} (${used} used, this request needs ${requested}); nothing was written`);
  }

  get retryAfterSeconds(): number {
    return this.quota === 'stops_per_day' ? secondsToUtcMidnight() : IN_FLIGHT_RETRY_AFTER_S[this.quota];
  }

  get details(): Record<string, unknown> {
    return { quota: this.quota, limit: this.limit, used: this.used, requested: this.requested, retry_after: this.retryAfterSeconds };
  }
}

export interface TenantQuotas {
  limits: QuotaLimits;
  /** The quotas the tenant has a limit of its own for (the rest are the hub's defaults). */
  custom: QuotaName[];
}

export async function tenantQuotas(db: Db, defaults: QuotaLimits, tenantId: string): Promise<TenantQuotas> {
  const row = await db.selectFrom('tenants').select(Object.values(QUOTA_COLUMNS)).where('id', '=', tenantId).executeTakeFirst();
  const own = (q: QuotaName): number | null => row?.[QUOTA_COLUMNS[q]] ?? null;
  return {
    limits: { stops_per_day: own('stops_per_day') ?? defaults.stops_per_day, imports_in_flight: own('imports_in_flight') ?? defaults.imports_in_flight, recoveries_in_flight: own('recoveries_in_flight') ?? defaults.recoveries_in_flight },
    custom: QUOTAS.filter((q) => own(q) !== null),
  };
}

/** Today, as the database sees it, in UTC: the stop counter's day. */
const TODAY = sql<Date>`(now() at time zone 'utc')::date`;

export async function stopsCreatedToday(db: Db, tenantId: string): Promise<number> {
  const row = await db.selectFrom('tenant_stop_counts').select('created').where('tenant_id', '=', tenantId).where('day', '=', TODAY).executeTakeFirst();
  return row?.created ?? 0;
}

/** Imports with a stop whose lifecycle has not started (a partial index holds only those stops). */
export async function importsInFlight(db: Db, tenantId: string, exceptImportId?: string): Promise<number> {
  let q = db
    .selectFrom('stops')
    .select((eb) => eb.fn.count<string>('import_id').distinct().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('import_id', 'is not', null)
    .where('lifecycle_started_at', 'is', null);
  if (exceptImportId) q = q.where('import_id', '!=', exceptImportId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export async function recoveriesInFlight(db: Db, tenantId: string): Promise<number> {
  const row = await db.selectFrom('webhook_recoveries').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).where('status', '=', 'running').executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function quotaUsage(db: Db, tenantId: string): Promise<Record<QuotaName, number>> {
  const [stops, imports, recoveries] = await Promise.all([stopsCreatedToday(db, tenantId), importsInFlight(db, tenantId), recoveriesInFlight(db, tenantId)]);
  return { stops_per_day: stops, imports_in_flight: imports, recoveries_in_flight: recoveries };
}

/**
 * Serialises one kind of a tenant's creations (its imports' commits, its recoveries) until the
 * transaction ends, so a count-then-insert cannot let two through past a limit. An advisory lock,
 * not the tenant row: that row is locked by every event the tenant appends.
 */
export async function lockTenantFor(trx: Db, kind: 'imports' | 'recoveries', tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${kind}:${tenantId}`}, 0))`.execute(trx);
}

/**
 * The CTE body that counts `n` new stops toward today's quota, for the statement that creates
 * them: it returns a row when they fit, none when they do not (the insert-select yields nothing
 * when `n` alone is over, the update's condition nothing when the day's total would be), and the
 * creation's writes are conditioned on that row. One statement, so the counter row is locked only
 * from there to the commit, with no round trip between.
 */
export function stopsCreatedCount(tenantId: string, n: number, defaultLimit: number): RawBuilder<unknown> {
  const limit = sql<number>`(select coalesce(quota_stops_per_day, ${defaultLimit}::int) from tenants where id = ${tenantId})`;
  return sql`
    insert into tenant_stop_counts (tenant_id, day, created)
    select ${tenantId}, ${TODAY}, ${n}::int where ${n}::int <= ${limit}
    on conflict (tenant_id, day) do update set created = tenant_stop_counts.created + excluded.created
      where tenant_stop_counts.created + excluded.created <= ${limit}
    returning created`;
}

/** Why `n` new stops did not fit today's quota, for the 429. */
export async function stopsQuotaRefusal(db: Db, tenantId: string, n: number, defaultLimit: number): Promise<QuotaExceededError> {
  const own = await db.selectFrom('tenants').select('quota_stops_per_day').where('id', '=', tenantId).executeTakeFirst();
  return new QuotaExceededError('stops_per_day', own?.quota_stops_per_day ?? defaultLimit, await stopsCreatedToday(db, tenantId), n);
}

/** Refuses a new import past the imports-in-flight quota (the commit's transaction holds the tenant's import lock). */
export async function assertImportSlot(db: Db, limits: QuotaLimits, tenantId: string, importId: string): Promise<void> {
  const used = await importsInFlight(db, tenantId, importId);
  if (used >= limits.imports_in_flight) throw new QuotaExceededError('imports_in_flight', limits.imports_in_flight, used, 1);
}

/**
 * The API's quick check before an import starts its workflow: refuses what the commit would
 * refuse anyway (the commit checks again, under the lock), so a tenant over its quota costs
 * no workflow.
 */
export async function precheckImport(db: Db, defaults: QuotaLimits, tenantId: string, importId: string, count: number): Promise<void> {
  // A retry of an import that committed already joins it: its stops are counted.
  if (await db.selectFrom('imports').select('id').where('id', '=', importId).executeTakeFirst()) return;
  const { limits } = await tenantQuotas(db, defaults, tenantId);
  await assertImportSlot(db, limits, tenantId, importId);
  const used = await stopsCreatedToday(db, tenantId);
  if (used + count > limits.stops_per_day) throw new QuotaExceededError('stops_per_day', limits.stops_per_day, used, count);
}

/** Sets (a number) or clears (null: back to the hub's default) some of a tenant's quotas; false when there is no such tenant. */
export async function setTenantQuotas(db: Db, tenantId: string, changes: Partial<Record<QuotaName, number | null>>): Promise<boolean> {
  const set: Partial<Record<(typeof QUOTA_COLUMNS)[QuotaName], number | null>> = {};
  for (const q of QUOTAS) if (changes[q] !== undefined) set[QUOTA_COLUMNS[q]] = changes[q];
  if (!Object.keys(set).length) return Boolean(await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst());
  const updated = await db.updateTable('tenants').set(set).where('id', '=', tenantId).executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}
