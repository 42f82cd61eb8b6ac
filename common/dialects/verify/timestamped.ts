/** `t=<unix>,v1=<hex>[,v1=<hex>…]` over `{t}.{raw body}`, as Zippex and Naveera sign. */
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal';

export function verifyTimestamped(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const [k, v] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (k === 't') t = Number.parseInt(v, 10);
    if (k === 'v1') signatures.push(v);
  }
  if (t === undefined || !Number.isFinite(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
  return signatures.some((sig) => safeEqual(expected, sig));
}
