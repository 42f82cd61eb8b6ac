/** Field types shared by every request schema. */
import { z } from 'zod';

const NUL = '\u0000';

/**
 * Every string the API accepts: Postgres cannot store NUL in text or jsonb, and a lone UTF-16
 * surrogate cannot be encoded as UTF-8, so either would fail at write time, not here.
 */
export const plainString = () =>
  z
    .string()
    .refine((s) => !s.includes(NUL), 'must not contain NUL characters')
    .refine((s) => s.isWellFormed(), 'must not contain lone UTF-16 surrogates');

/** Text that Postgres can store: no NUL characters or lone surrogates, bounded length. */
export const text = (max: number, min = 1) =>
  plainString()
    .trim()
    .min(min, `must be at least ${min} character${min === 1 ? '' : 's'}`)
    .max(max, `must be at most ${max} characters`);

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +4521345678');

/** An ISO 8601 timestamp with a zone, within years 2000–2100. */
export const isoDateTime = z
  .string()
  .max(40)
  .pipe(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-05-08T09:00:00+02:00' }))
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    return year >= 2000 && year <= 2100;
  }, 'must be between the years 2000 and 2100');

export const httpsUrl = plainString()
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }));

export const idParam = (prefix: string) =>
  z.string().max(64).regex(new RegExp(`^${prefix}_[0-9A-Za-z]{1,40}$`), `must be a ${prefix}_… id`);

/** A whole number in a query string: decimal digits only (no `0x10`, `1e3`, ` 5` or `+5`). */
export const decimalParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const limitParam = (max: number, fallback: number) => decimalParam(1, max).default(fallback);

/** For actions that take no body: anything sent must be an empty object. */
export const emptyBody = z.strictObject({});

/**
 * A PATCH body must change something. Checked only when the body is otherwise valid: unknown
 * keys are stripped before this runs, so `{"bogus": 1}` would else be reported twice (the unknown
 * field, and "nothing to change") and the message would count two invalid fields for one.
 */
export const nonEmptyPatch = <S extends z.ZodType<Record<string, unknown>>>(schema: S) =>
  schema.refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change', when: (payload) => payload.issues.length === 0 });
