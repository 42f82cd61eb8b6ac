import type { AuthContext } from '../common/auth/api-keys';
import type { PartnerAuth } from '../common/partners/partners';

declare global {
  namespace Express {
    interface Request {
      id: string;
      auth?: AuthContext;
      /** Set on the Partner API, behind its authentication. */
      partner?: PartnerAuth;
      /** SHA-256 of the raw request body, when there was one. */
      bodyHash?: string;
      /** Set when the request carries an Idempotency-Key this request owns. */
      idempotency?: { key: string; requestHash: string };
    }
  }
}
export {};
