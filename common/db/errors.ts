/** Recognising Postgres errors the hub turns into answers instead of failures. */

const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** A unique constraint refused the row (SQLSTATE 23505), and it was this constraint. */
export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  sqlState(err) === '23505' && (err as { constraint?: string }).constraint === constraint;

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
