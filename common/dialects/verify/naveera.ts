/** Naveera: `X-Naveera-Signature: t=…,v1=…`, secret as UTF-8, 5-minute window either way. */
import { verifyTimestamped } from './timestamped';

export const verifyNaveera = (rawBody: string | Buffer, header: string | undefined, secret: string, nowSeconds?: number): boolean =>
  verifyTimestamped(rawBody, header, secret, 300, nowSeconds);
