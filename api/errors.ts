/**
 * The contract's error shape, `{ error: { code, message, details } }`, and the helpers that make
 * it. Every failure the API can answer goes through `ApiError` so no handler invents its own.
 */
import type { ZodError } from 'zod';
import type { ConflictReason } from '../common/stops/conflicts';
import type { QuotaExceededError } from '../common/quotas';
import type { WindowState } from './leased-window';

export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'subscription_limit_exceeded'
  | 'delivery_not_retryable'
  | 'trip_not_found'
  | 'invalid_status'
  | 'service_unavailable'
  | 'internal_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toBody(): { error: { code: ErrorCode; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what = 'resource'): ApiError => new ApiError(404, 'not_found', `${what} not found`);

export const conflict = (message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(409, 'conflict', message, details);

/** The 409 for a value that is taken, worded once for the API and the activities (common/stops/conflicts.ts). */
export const conflictFrom = (reason: ConflictReason): ApiError => conflict(reason.message, reason.details);
/** Over a tenant quota: 429 naming it, with Retry-After (the error handler reads `retry_after`). */
export const quotaExceeded = (err: QuotaExceededError): ApiError => new ApiError(429, 'quota_exceeded', err.message, err.details);

/** Past a rate limit (`/v1` or the Partner API): 429 with the Naveera seed's details; Retry-After from `retry_after`. */
export function rateLimited(refused: WindowState, resetAt: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil(refused.resetMs / 1000));
  return new ApiError(429, 'rate_limited', `Rate limit exceeded. Retry after ${retryAfter} seconds.`, { limit: refused.limit, remaining: 0, reset_at: resetAt, retry_after: retryAfter });
}

export const badRequest = (message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(400, 'validation_error', message, details);

const MAX_ECHO_CHARS = 120;
const MAX_FIELD_CHARS = 200;
const MAX_MESSAGE_CHARS = 300;
/** At most this many problems are listed; the rest are counted. */
export const MAX_LISTED_ERRORS = 20;

/** A string cut to `max` characters, marked when cut. */
export const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/**
 * What an error may say about a bad value: short strings and scalars as they are, anything else
 * summarised by kind and size, so an error never mirrors a megabyte and never walks a deep value.
 */
export function describeValue(value: unknown): unknown {
  if (typeof value === 'string') return clip(value, MAX_ECHO_CHARS);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return `(an array of ${value.length} item${value.length === 1 ? '' : 's'})`;
  if (typeof value === 'object') {
    const n = Object.keys(value).length;
    return `(an object with ${n} key${n === 1 ? '' : 's'})`;
  }
  return `(${typeof value})`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export interface FieldError {
  field: string;
  value: unknown;
  message: string;
  index?: number;
}

const fieldName = (path: readonly PropertyKey[]): string => (path.length ? clip(path.map(String).join('.'), MAX_FIELD_CHARS) : '(body)');

/** Flattens a zod error into one entry per bad field, each naming the field and its value. */
export function fieldErrors(error: ZodError, input: unknown, pathPrefix: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push({ field: fieldName(path), value: describeValue(valueAt(input, path)), message: `unknown field "${clip(key, MAX_ECHO_CHARS)}"` });
      }
      continue;
    }
    out.push({
      field: fieldName([...pathPrefix, ...issue.path]),
      value: describeValue(valueAt(input, issue.path)),
      message: clip(issue.message, MAX_MESSAGE_CHARS),
    });
  }
  return out;
}

/** The listed problems, capped, with how many were left out. */
export function listedErrors<T>(errors: readonly T[]): { errors: T[]; omitted_errors?: number } {
  return errors.length > MAX_LISTED_ERRORS ? { errors: errors.slice(0, MAX_LISTED_ERRORS), omitted_errors: errors.length - MAX_LISTED_ERRORS } : { errors: [...errors] };
}

export function validationError(error: ZodError, input: unknown, where = 'body'): ApiError {
  const errors = fieldErrors(error, input);
  const first = errors[0];
  const message = first
    ? errors.length === 1
      ? `${first.field}: ${first.message}`
      : `${errors.length} fields are invalid (first: ${first.field}: ${first.message})`
    : `invalid ${where}`;
  return new ApiError(400, 'validation_error', message, {
    field: first?.field,
    value: first?.value,
    ...listedErrors(errors),
  });
}
