/**
 * The ways the seeds sign a webhook, as functions a profile row names (common/dialects/profiles.ts
 * `sign`). The body given is byte-for-byte the body sent; `secrets` is newest first and holds more
 * than one only while a rotation overlaps, for dialects whose header can carry several.
 */
import { createHmac } from 'node:crypto';

export interface SignInput {
  body: string;
  secrets: readonly string[];
  timestamp: number;
  messageId: string;
  name: string;
  objectId: string | null;
  eventTimestamp: string;
}

export type SignatureScheme = (input: SignInput) => Record<string, string>;

const hmac = (key: string | Buffer, data: string, encoding: 'hex' | 'base64'): string =>
  createHmac('sha256', key).update(data, 'utf8').digest(encoding);

/** Standard Webhooks keys are the base64 part after `whsec_`. */
const standardKey = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/** A hex HMAC of the body with the newest secret, in one header (Courrex). */
export const bodyHmacHex =
  (header: string): SignatureScheme =>
  ({ body, secrets }) => ({ [header]: hmac(secrets[0]!, body, 'hex') });

/** The secret itself as a bearer token (Kourier). */
export const bearerToken: SignatureScheme = ({ secrets }) => ({ Authorization: `Bearer ${secrets[0]!}` });

/**
 * `t=…,v1=…` over `${t}.${body}`, hex (Zippex, Naveera). The newest signature is listed last: the
 * seed snippets parse the header into an object, so only the last `v1` counts for them, and that
 * one must match the new secret.
 */
export const timestampedHex =
  (header: string): SignatureScheme =>
  ({ body, secrets, timestamp: t }) => ({ [header]: [`t=${t}`, ...[...secrets].reverse().map((s) => `v1=${hmac(s, `${t}.${body}`, 'hex')}`)].join(',') });

/** A base64 HMAC of the body keyed by the base64-decoded secret (EasyRoutes). */
export const bodyHmacBase64OfDecodedKey =
  (header: string): SignatureScheme =>
  ({ body, secrets }) => ({ [header]: hmac(Buffer.from(secrets[0]!, 'base64'), body, 'base64') });

/** Standard Webhooks: `v1,<base64>` per secret over `${id}.${t}.${body}`, space-separated. */
export const standardWebhooks: SignatureScheme = ({ body, secrets, timestamp: t, messageId }) => ({
  'webhook-id': messageId,
  'webhook-timestamp': String(t),
  'webhook-signature': secrets.map((s) => `v1,${hmac(standardKey(s), `${messageId}.${t}.${body}`, 'base64')}`).join(' '),
});

/** One scheme after another, their headers together (a signature plus a dialect's own headers). */
export const withHeaders =
  (scheme: SignatureScheme, more: (input: SignInput) => Record<string, string>): SignatureScheme =>
  (input) => ({ ...scheme(input), ...more(input) });
