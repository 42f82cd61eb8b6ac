/**
 * Receivers' signature checks written the way each provider's seed document shows them, not with
 * the hub's own verify module, so a test proves what a real integrator's code would accept.
 */
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const header = (h: IncomingHttpHeaders, name: string): string => String(h[name.toLowerCase()] ?? '');

/** Courrex seed: Node crypto, hex HMAC of the raw body, timingSafeEqual. */
export function courrexSeed(rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  const signature = header(h, 'x-courrex-signature');
  const expected = crypto.createHmac('sha256', secret).update(rawBody).digest('hex');
  if (Buffer.from(expected).length !== Buffer.from(signature).length) return false;
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

/** Kourier seed: compare the bearer token with the configured one. */
export function kourierSeed(_rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  return header(h, 'authorization') === `Bearer ${secret}`;
}

/** Zippex seed: parse t/v1, reject older than 5 minutes, hex HMAC over `${t}.${rawBody}`. */
export function zippexSeed(rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  const signature = header(h, 'zippex-signature');
  if (!signature) return false;
  const parts = Object.fromEntries(signature.split(',').map((part) => part.split('=')));
  const timestamp = parts.t;
  const receivedSig = parts.v1 ?? '';
  const age = Math.floor(Date.now() / 1000) - parseInt(timestamp, 10);
  if (age > 300) return false;
  const payload = `${timestamp}.${rawBody.toString()}`;
  const expectedSig = crypto.createHmac('sha256', secret).update(payload).digest('hex');
  if (Buffer.from(receivedSig).length !== Buffer.from(expectedSig).length) return false;
  return crypto.timingSafeEqual(Buffer.from(receivedSig), Buffer.from(expectedSig));
}

/** Naveera seed (the Python check, in TypeScript): split on ',' then '=' once, |now - t| ≤ 300, compare_digest. */
export function naveeraSeed(rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  const parts: Record<string, string> = {};
  for (const part of header(h, 'x-naveera-signature').split(',')) {
    const i = part.indexOf('=');
    parts[part.slice(0, i)] = part.slice(i + 1);
  }
  const timestamp = parseInt(parts.t ?? '0', 10);
  const expected = parts.v1 ?? '';
  if (Math.abs(Math.floor(Date.now() / 1000) - timestamp) > 300) return false;
  const signedPayload = `${timestamp}.${rawBody.toString('utf-8')}`;
  const computed = crypto.createHmac('sha256', Buffer.from(secret, 'utf-8')).update(Buffer.from(signedPayload, 'utf-8')).digest('hex');
  return computed.length === expected.length && crypto.timingSafeEqual(Buffer.from(computed), Buffer.from(expected));
}

/** EasyRoutes seed (the Go handler): base64-decode the secret, HMAC the body, base64-decode the header, hmac.Equal. */
export function easyRoutesSeed(rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  const sig = header(h, 'x-easyroutes-hmac-sha256');
  if (!sig) return false;
  const d = Buffer.from(secret, 'base64');
  const expected = crypto.createHmac('sha256', d).update(rawBody).digest();
  const actual = Buffer.from(sig, 'base64');
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}

/** Standard Webhooks spec: key = base64 after whsec_, sign `${id}.${ts}.${body}`, any of the space-separated v1 signatures. */
export function standardSpec(rawBody: Buffer, h: IncomingHttpHeaders, secret: string): boolean {
  const id = header(h, 'webhook-id');
  const ts = header(h, 'webhook-timestamp');
  const key = Buffer.from(secret.split('_')[1]!, 'base64');
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.${rawBody.toString()}`).digest('base64');
  return header(h, 'webhook-signature')
    .split(' ')
    .some((v) => {
      const sig = v.split(',')[1] ?? '';
      return sig.length === expected.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
    });
}

export const SEED_VERIFIERS = {
  courrex: courrexSeed,
  kourier: kourierSeed,
  zippex: zippexSeed,
  naveera: naveeraSeed,
  easyroutes: easyRoutesSeed,
  standard: standardSpec,
} as const;
