/** Parse a request part with its zod schema, or answer 400 naming every bad field. */
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiError, validationError } from './errors';

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const input: unknown = req.body === undefined ? {} : req.body;
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error, input);
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v) || (v !== null && typeof v === 'object')) {
      throw new ApiError(400, 'validation_error', `query parameter ${k} must be given once, as plain text`, { field: k });
    }
  }
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw validationError(parsed.error, query, 'query');
  return parsed.data;
}

/** A path id that does not even look right cannot exist: 404, like any unknown id. */
export function parseId<S extends z.ZodType<string>>(schema: S, value: unknown, what: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(404, 'not_found', `${what} not found`);
  return parsed.data;
}
