/** Courrex: `X-Courrex-Signature` is the hex HMAC-SHA256 of the raw body. */
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal';

export function verifyCourrex(rawBody: string | Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
  return safeEqual(expected, signature);
}
