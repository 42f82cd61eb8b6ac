/** EasyRoutes: `X-EasyRoutes-Hmac-Sha256` is the base64 HMAC of the body, keyed with the base64-decoded secret. */
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal';

export function verifyEasyRoutes(rawBody: string | Buffer, signature: string | undefined, base64Secret: string): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', Buffer.from(base64Secret, 'base64')).update(rawBody).digest();
  return safeEqual(expected, Buffer.from(signature, 'base64'));
}
