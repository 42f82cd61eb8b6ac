/**
 * The Partner API's error answers, as the Naveera seed documents them: `{error: {code, message,
 * details}}` with upper-case codes, and validation failures as a top-level
 * `{code: "VALIDATION_ERROR", message, details: [{loc, msg, type}]}` with status 422. Handlers
 * throw the same ApiError as everywhere else; only the rendering differs.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiError, clip, type ErrorCode } from '../errors';
import type { ErrorRenderer } from '../middleware/errors';

export interface SeedIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

type Where = 'path' | 'query' | 'body' | 'header';

const CODES: Partial<Record<ErrorCode, string>> = { rate_limited: 'RATE_LIMIT_EXCEEDED' };

/** A zod issue in the seed's words (those of the pydantic service the seed describes). */
function seedIssues(issue: z.core.$ZodIssue, at: (string | number)[]): SeedIssue[] {
  const loc = [...at, ...issue.path.map((p) => (typeof p === 'number' ? p : clip(String(p), 100)))];
  const one = (msg: string, type: string): SeedIssue[] => [{ loc, msg: clip(msg, 300), type }];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ loc: [...loc, clip(key, 100)], msg: 'extra fields not permitted', type: 'value_error.extra' }));
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return one(`ensure this value is less than or equal to ${issue.maximum}`, 'value_error.number.not_le');
      if (issue.origin === 'string') return one(`ensure this value has at most ${issue.maximum} characters`, 'value_error.any_str.max_length');
      return one(`ensure this value has at most ${issue.maximum} items`, 'value_error.list.max_items');
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') return one(`ensure this value is greater than or equal to ${issue.minimum}`, 'value_error.number.not_ge');
      if (issue.origin === 'string') return one(`ensure this value has at least ${issue.minimum} characters`, 'value_error.any_str.min_length');
      return one(`ensure this value has at least ${issue.minimum} items`, 'value_error.list.min_items');
    case 'invalid_type':
      return issue.input === undefined ? one('field required', 'value_error.missing') : one(`value is not a valid ${issue.expected}`, `type_error.${issue.expected}`);
    case 'invalid_value':
      return one(`value is not a valid enumeration member; permitted: ${issue.values.map((v) => `'${String(v)}'`).join(', ')}`, 'type_error.enum');
    case 'invalid_format':
      return one(issue.message, `value_error.${issue.format === 'regex' ? 'str.regex' : issue.format}`);
    default:
      return one(issue.message, 'value_error');
  }
}

const MAX_ISSUES = 20;

export const partnerValidationError = (issues: SeedIssue[]): ApiError =>
  new ApiError(422, 'validation_error', 'Request validation failed', { issues: issues.slice(0, MAX_ISSUES) });

function parse<S extends z.ZodType>(schema: S, input: unknown, at: (string | number)[]): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw partnerValidationError(parsed.error.issues.flatMap((i) => seedIssues(i, at)));
  return parsed.data;
}

export const partnerBody = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => parse(schema, req.body === undefined ? {} : req.body, ['body']);

export function partnerQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const query = req.query as Record<string, unknown>;
  const repeated = Object.keys(query).filter((k) => typeof query[k] !== 'string');
  if (repeated.length) throw partnerValidationError(repeated.map((k) => ({ loc: ['query', clip(k, 100)], msg: 'must be given once, as plain text', type: 'value_error' })));
  return parse(schema, query, ['query']);
}

export const partnerParam = <S extends z.ZodType>(schema: S, req: Request, name: string): z.infer<S> => parse(schema, req.params[name], ['path', name]);

/**
 * A validation failure raised by shared middleware (input guard, JSON body, Idempotency-Key) in
 * the /v1 shape, restated as seed issues.
 */
function issuesFromContract(details: Record<string, unknown>): SeedIssue[] {
  if (Array.isArray(details.issues)) return details.issues as SeedIssue[];
  const where = (details.location as Where | undefined) ?? (details.field === 'Idempotency-Key' ? 'header' : 'body');
  const listed = Array.isArray(details.errors) ? (details.errors as { field: string; message: string }[]) : [];
  const fields = listed.length ? listed : [{ field: String(details.field ?? '(body)'), message: '' }];
  return fields.map((f) => ({
    loc: [where, ...(f.field === '(body)' || f.field === 'Idempotency-Key' ? (where === 'header' ? ['Idempotency-Key'] : []) : f.field.split('.'))],
    msg: f.message || 'invalid value',
    type: 'value_error',
  }));
}

export const renderPartnerError: ErrorRenderer = (res, error) => {
  if (error.code === 'validation_error') {
    const issues = issuesFromContract(error.details);
    const msg = issues.length === 1 && !Array.isArray(error.details.issues) ? error.message : undefined;
    res.status(422).json({ code: 'VALIDATION_ERROR', message: 'Request validation failed', details: msg ? [{ ...issues[0]!, msg: clip(msg, 300) }] : issues });
    return;
  }
  res.status(error.status).json({ error: { code: CODES[error.code] ?? error.code.toUpperCase(), message: error.message, details: error.details } });
};

/** 404 for a trip the partner may not see, whether or not it exists. */
export const tripNotFound = (how: string): ApiError => new ApiError(404, 'trip_not_found', `Trip with ${clip(how, 220)} not found`);
