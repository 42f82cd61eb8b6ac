/** Whether an `Authorization` header carries the metrics token (timing-safe); no token configured lets every scrape in. */
import { timingSafeEqual, createHash } from 'node:crypto';

export function metricsAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  // Hashing first makes both sides the same length, so the comparison leaks nothing of it.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
