/** Recognising Postgres errors the hub turns into answers instead of failures. */

const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * The unique constraints (common/db/migrations) that two concurrent requests can both pass the
 * check before their write for, so that one of them only learns of the other from the constraint.
 * The rest are never raced: their ids are derived or random, or written with `on conflict`.
 */
const RACED_CONSTRAINTS = [
  'stops_tenant_external_ref_key',
  'stops_broker_trip_key',
  'route_stops_pkey',
  // Ids derived from an Idempotency-Key: the same keyed request running twice at once.
  'stops_pkey',
  'routes_pkey',
  'webhook_subscriptions_pkey',
  // One running recovery per subscription (0014_tenant_quotas): two created at once.
  'webhook_recoveries_one_running_idx',
] as const;

export type RacedConstraint = (typeof RACED_CONSTRAINTS)[number];

const isRacedConstraint = (name: unknown): name is RacedConstraint => (RACED_CONSTRAINTS as readonly unknown[]).includes(name);

/** The raced constraint a unique violation names; undefined for any other error. */
export function racedConstraint(err: unknown): RacedConstraint | undefined {
  const constraint = sqlState(err) === '23505' ? (err as { constraint?: unknown }).constraint : undefined;
  return isRacedConstraint(constraint) ? constraint : undefined;
}

/** For each raced constraint a write can hit, the answer its pre-check gives. */
export type RaceAnswers<A> = Partial<Record<RacedConstraint, () => A | Promise<A>>>;

/**
 * The answer for a write that lost a race on a unique constraint: the one its pre-check gives
 * once it sees the winner's row, so the loser gets exactly what it would have got a moment
 * later. Undefined for any other error, which the caller rethrows.
 */
export async function raceAnswer<A>(err: unknown, answers: RaceAnswers<A>): Promise<A | undefined> {
  const constraint = racedConstraint(err);
  return constraint ? answers[constraint]?.() : undefined;
}

/**
 * An error that the same statement will meet again however often it is retried: a data exception
 * (class 22: bad text, numbers out of range, invalid JSON), a not-null, foreign-key or check
 * violation (23502, 23503, 23514, 23P01: not races in this schema), or a statement the server
 * cannot run at all (class 42). Unique violations (23505) are left out: they can be races that a
 * retry resolves.
 */
export function isPermanentDbError(err: unknown): boolean {
  const code = sqlState(err);
  if (!code) return false;
  return code.startsWith('22') || code.startsWith('42') || ['23502', '23503', '23514', '23P01'].includes(code);
}

/** The failure type an activity ends with when it met such an error (activities/index.ts). */
export const PERMANENT_DATA_ERROR = 'PermanentDataError';
