/** Kourier: a shared token in `Authorization: Bearer <token>`; nothing is signed. */
import { safeEqual } from './safe-equal';

export function verifyKourier(authorization: string | undefined, secret: string): boolean {
  return authorization !== undefined && safeEqual(authorization, `Bearer ${secret}`);
}
