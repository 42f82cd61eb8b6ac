import type { AuthContext } from '../common/auth/api-keys';

declare global {
  namespace Express {
    interface Request {
      id: string;
      auth?: AuthContext;
    }
  }
}
export {};
