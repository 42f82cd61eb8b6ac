/**
 * A last line before any handler: every string in a request body or query, key or value, must
 * be storable (no NUL, no lone UTF-16 surrogate), and bodies nest at most MAX_DEPTH deep. The
 * zod schemas say the same per field; this catches what no schema names (unknown keys, extra
 * query parameters, routes that read a body loosely) and keeps deep values away from any code
 * that recurses.
 */
import type { RequestHandler } from 'express';
import { ApiError } from '../errors';

/** No request of the contract nests deeper than 5; 32 leaves room without inviting a stack overflow. */
export const MAX_DEPTH = 32;

export interface UnsafeInput {
  /** Dotted path of the offending value (`proof.photo_urls.0`), or of the key itself. */
  field: string;
  problem: string;
}

const stringProblem = (s: string): string | null =>
  s.includes('\u0000') ? 'contains a NUL character' : s.isWellFormed() ? null : 'contains a lone UTF-16 surrogate';

const MAX_FIELD_CHARS = 200;
const pathOf = (path: readonly (string | number)[]): string => {
  const joined = path.length ? path.join('.') : '(body)';
  return joined.length > MAX_FIELD_CHARS ? `${joined.slice(0, MAX_FIELD_CHARS)}…` : joined;
};

/** The first unsafe string or over-deep value in a parsed JSON value, walking without recursion. */
export function findUnsafeInput(value: unknown, maxDepth = MAX_DEPTH): UnsafeInput | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) return { field: pathOf(path), problem };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return { field: pathOf(path.slice(0, 8)), problem: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const problem = stringProblem(key);
      if (problem) return { field: pathOf([...path, '(key)']), problem: `has a key that ${problem}` };
      stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return null;
}

export const inputGuard: RequestHandler = (req, _res, next) => {
  for (const [where, value] of [['body', req.body], ['query', req.query]] as const) {
    const unsafe = findUnsafeInput(value);
    if (unsafe) {
      const index = Array.isArray(value) ? /^\d+/.exec(unsafe.field)?.[0] : undefined;
      const at = index !== undefined ? { index: Number(index) } : {};
      throw new ApiError(400, 'validation_error', `${unsafe.field}: ${unsafe.problem}`, {
        field: unsafe.field,
        location: where,
        ...at,
        errors: [{ field: unsafe.field, ...at, message: unsafe.problem }],
      });
    }
  }
  next();
};
