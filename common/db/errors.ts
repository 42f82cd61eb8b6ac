/** Recognising Postgres errors the hub turns into answers instead of failures. */

/** A unique constraint refused the row (SQLSTATE 23505), and it was this constraint. */
export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint;
