/** Field types shared by every request schema. */
import { z } from 'zod';

/** Text that Postgres can store: no NUL characters, bounded length. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, `must be at least ${min} character${min === 1 ? '' : 's'}`)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

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

export const httpsUrl = z
  .string()
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }));

export const idParam = (prefix: string) =>
  z.string().max(64).regex(new RegExp(`^${prefix}_[0-9A-Za-z]{1,40}$`), `must be a ${prefix}_… id`);

export const limitParam = (max: number, fallback: number) =>
  z.coerce.number().int('must be a whole number').min(1).max(max).default(fallback);

/** For actions that take no body: anything sent must be an empty object. */
export const emptyBody = z.strictObject({});
