/** Zippex: `Zippex-Signature: t=…,v1=…`, keyed with the whole `whsec_…` string, 5-minute window. */
import { verifyTimestamped } from './timestamped';

export const verifyZippex = (rawBody: string | Buffer, header: string | undefined, secret: string, nowSeconds?: number): boolean =>
  verifyTimestamped(rawBody, header, secret, 300, nowSeconds);
