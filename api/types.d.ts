import type { AuthContext } from '../common/auth/api-keys';

declare global {
  namespace Express {
    interface Request {
      id: string;
      auth?: AuthContext;
      /** Set when the request carries an Idempotency-Key this request owns. */
      idempotencyKey?: string;
    }
  }
}
export {};
