/**
 * Tenants and API keys. A key is `dh_live_…` or `dh_test_…` followed by 32 random base62
 * characters; only its SHA-256 is stored (a fast hash is right for high-entropy random keys,
 * unlike passwords), and it is shown once, when created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connect';
import type { ApiKeyRow, Tenant } from '../db/schema';
import { newId } from '../ids';
import { SCOPES, type Scope } from './scopes';

export type KeyEnvironment = 'live' | 'test';
export const KEY_PATTERN = /^dh_(live|test)_[A-Za-z0-9]{32}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface AuthContext {
  tenantId: string;
  keyId: string;
  scopes: Scope[];
  rateLimitPerMinute: number | null;
}

/** `length` random base62 characters; rejection sampling keeps each uniformly likely. */
export function randomBase62(length: number): string {
  let body = '';
  while (body.length < length) {
    for (const byte of randomBytes(length + 16)) {
      if (byte < 248 && body.length < length) body += BASE62[byte % 62];
    }
  }
  return body;
}

export function generateApiKey(env: KeyEnvironment = 'live'): string {
  return `dh_${env}_${randomBase62(32)}`;
}

/** SHA-256 (hex): a fast hash is right for long random keys and secrets, unlike passwords. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export async function createTenant(db: Db, name: string, id: string = newId('ten')): Promise<Tenant> {
  return db.insertInto('tenants').values({ id, name }).returningAll().executeTakeFirstOrThrow();
}

export async function createApiKey(
  db: Db,
  opts: { tenantId: string; name?: string; scopes?: readonly Scope[]; env?: KeyEnvironment; key?: string },
): Promise<{ key: string; row: ApiKeyRow }> {
  const key = opts.key ?? generateApiKey(opts.env);
  if (!KEY_PATTERN.test(key)) throw new Error('an API key must look like dh_live_<32 base62 characters>');
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId('key'),
      tenant_id: opts.tenantId,
      name: opts.name ?? 'default',
      prefix: key.slice(0, 12),
      key_hash: hashApiKey(key),
      scopes: [...(opts.scopes ?? SCOPES)],
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
}

export async function revokeApiKey(db: Db, keyId: string): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Resolves a presented key to its tenant and scopes, or null when unknown or revoked. */
export async function authenticateApiKey(db: Db, presented: string): Promise<AuthContext | null> {
  if (!KEY_PATTERN.test(presented)) return null;
  const hash = hashApiKey(presented);
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['api_keys.id', 'api_keys.tenant_id', 'api_keys.key_hash', 'api_keys.scopes', 'api_keys.revoked_at'])
    .select('tenants.rate_limit_per_minute')
    .where('api_keys.key_hash', '=', hash)
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  // The lookup is by hash, so timing reveals nothing about the key; the constant-time compare
  // keeps that true even if the index lookup were ever replaced by a scan.
  if (!timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
  return {
    tenantId: row.tenant_id,
    keyId: row.id,
    scopes: row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    rateLimitPerMinute: row.rate_limit_per_minute,
  };
}
