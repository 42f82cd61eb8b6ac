/**
 * Signature headers per dialect. The body given here is byte-for-byte the body sent. `secrets`
 * is newest first; dialects whose header holds several signatures sign with each (rotation).
 */
import { createHmac } from 'node:crypto';
import { PROFILES, type ProviderName } from './profiles';

export interface SignInput {
  body: string;
  secrets: readonly string[];
  timestamp: number;
  messageId: string;
  name: string;
  objectId: string | null;
  eventTimestamp: string;
}

const hmac = (key: string | Buffer, data: string, encoding: 'hex' | 'base64'): string =>
  createHmac('sha256', key).update(data, 'utf8').digest(encoding);

/** Standard Webhooks keys are the base64 part after `whsec_`. */
export const standardKey = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/**
 * `t=…,v1=…` headers list the newest signature last: the seed snippets parse the header into an
 * object, so only the last `v1` counts for them, and that one must match the new secret.
 */
const oldestFirst = (secrets: readonly string[]): string[] => [...secrets].reverse();

export function signatureHeaders(provider: ProviderName, input: SignInput): Record<string, string> {
  const { body, timestamp: t } = input;
  const secrets = PROFILES[provider].multipleSignatures ? input.secrets : input.secrets.slice(0, 1);
  const newest = secrets[0]!;
  switch (provider) {
    case 'courrex':
      return { 'X-Courrex-Signature': hmac(newest, body, 'hex') };
    case 'kourier':
      return { Authorization: `Bearer ${newest}` };
    case 'zippex':
      return { 'Zippex-Signature': [`t=${t}`, ...oldestFirst(secrets).map((s) => `v1=${hmac(s, `${t}.${body}`, 'hex')}`)].join(',') };
    case 'naveera':
      return {
        'X-Naveera-Signature': [`t=${t}`, ...oldestFirst(secrets).map((s) => `v1=${hmac(s, `${t}.${body}`, 'hex')}`)].join(','),
        'X-Naveera-Event-Type': input.name,
        'X-Naveera-Event-Id': input.messageId,
      };
    case 'easyroutes': {
      const envelope = JSON.parse(body) as { eventId: string };
      return {
        'X-EasyRoutes-Hmac-Sha256': hmac(Buffer.from(newest, 'base64'), body, 'base64'),
        'X-EasyRoutes-Event-Id': envelope.eventId,
        'X-EasyRoutes-Topic': input.name,
        'X-EasyRoutes-Event-Timestamp': input.eventTimestamp,
        'X-EasyRoutes-Version': 'V2024_07',
        ...(input.objectId ? { 'X-EasyRoutes-Object-Id': input.objectId } : {}),
      };
    }
    case 'standard':
      return {
        'webhook-id': input.messageId,
        'webhook-timestamp': String(t),
        'webhook-signature': secrets.map((s) => `v1,${hmac(standardKey(s), `${input.messageId}.${t}.${body}`, 'base64')}`).join(' '),
      };
  }
}
