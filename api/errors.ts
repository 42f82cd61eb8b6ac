/**
 * The contract's error shape, `{ error: { code, message, details } }`, and the helpers that make
 * it. Every failure the API can answer goes through `ApiError` so no handler invents its own.
 */
import type { ZodError } from 'zod';

export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'subscription_limit_exceeded'
  | 'delivery_not_retryable'
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

export const badRequest = (message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(400, 'validation_error', message, details);

/** Long or odd values are echoed back shortened, so an error never mirrors a megabyte. */
export function describeValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 120 ? `${value.slice(0, 120)}…` : value;
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') {
    return value ?? null;
  }
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 120)}…` : value;
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

/** Flattens a zod error into one entry per bad field, each naming the field and its value. */
export function fieldErrors(error: ZodError, input: unknown, pathPrefix: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push({ field: path.join('.'), value: describeValue(valueAt(input, path)), message: `unknown field "${key}"` });
      }
      continue;
    }
    const full = [...pathPrefix, ...issue.path];
    out.push({
      field: full.length ? full.join('.') : '(body)',
      value: describeValue(valueAt(input, issue.path)),
      message: issue.message,
    });
  }
  return out;
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
    errors,
  });
}
