/** Standard Webhooks: `webhook-signature: v1,<base64> …` over `{id}.{timestamp}.{body}`, key = base64 after `whsec_`. */
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal';

export function verifyStandard(
  rawBody: string | Buffer,
  headers: { 'webhook-id'?: string; 'webhook-timestamp'?: string; 'webhook-signature'?: string },
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!id || !ts || !sigs) return false;
  const t = Number.parseInt(ts, 10);
  if (!Number.isFinite(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${t}.`).update(rawBody).digest('base64');
  return sigs.split(' ').some((entry) => {
    const [version, sig] = entry.split(',', 2);
    return version === 'v1' && sig !== undefined && safeEqual(expected, sig);
  });
}
