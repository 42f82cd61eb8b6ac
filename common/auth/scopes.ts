import { z } from 'zod';

export const SCOPES = [
  'stops:read',
  'stops:write',
  'drivers:read',
  'drivers:write',
  'webhooks:manage',
  'events:read',
] as const;

export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;
