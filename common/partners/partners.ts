/**
 * Partners (brokers), the tenants they are linked with, and their API credentials. A credential
 * is a public key id (`nvr_pk_live_…`) and a secret (`nvr_sk_live_…`), presented together as
 * `Authorization: Bearer <key id>:<secret>`; only the secret's SHA-256 is stored, and the secret
 * is shown once, at creation.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/connect';
import type { PartnerKeysTable } from '../db/schema';
import { hashApiKey, type KeyEnvironment, randomBase62 } from '../auth/api-keys';
import { PARTNER_SCOPES, type PartnerScope, type PartnerTier } from './scopes';
import type { Selectable } from 'kysely';

export const PARTNER_KEY_ID = /^nvr_pk_(live|test)_[A-Za-z0-9]{24}$/;
const PARTNER_SECRET = /^nvr_sk_(live|test)_[A-Za-z0-9]{40}$/;

export interface PartnerAuth {
  partnerId: string;
  keyId: string;
  credentialId: string;
  scopes: PartnerScope[];
  tier: PartnerTier;
}

export async function createPartner(db: Db, name: string, tier: PartnerTier = 'standard'): Promise<{ id: string; name: string; tier: PartnerTier }> {
  return db.insertInto('partners').values({ id: randomUUID(), name, tier }).returning(['id', 'name', 'tier']).executeTakeFirstOrThrow();
}

export async function linkPartner(db: Db, partnerId: string, tenantId: string): Promise<void> {
  await db.insertInto('partner_links').values({ partner_id: partnerId, tenant_id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
}

export async function createPartnerKey(
  db: Db,
  opts: { partnerId: string; scopes?: readonly PartnerScope[]; env?: KeyEnvironment; name?: string },
): Promise<{ keyId: string; secret: string; credentialId: string; scopes: string[] }> {
  const env = opts.env ?? 'live';
  const keyId = `nvr_pk_${env}_${randomBase62(24)}`;
  const secret = `nvr_sk_${env}_${randomBase62(40)}`;
  const row = await db
    .insertInto('partner_keys')
    .values({ id: keyId, credential_id: randomUUID(), partner_id: opts.partnerId, name: opts.name ?? 'default', secret_hash: hashApiKey(secret), scopes: [...(opts.scopes ?? PARTNER_SCOPES)] })
    .returning(['credential_id', 'scopes'])
    .executeTakeFirstOrThrow();
  return { keyId, secret, credentialId: row.credential_id, scopes: row.scopes };
}

export function listPartnerKeys(db: Db, partnerId: string): Promise<Selectable<PartnerKeysTable>[]> {
  return db.selectFrom('partner_keys').selectAll().where('partner_id', '=', partnerId).orderBy('created_at').execute();
}

export async function revokePartnerKey(db: Db, keyId: string): Promise<boolean> {
  const res = await db.updateTable('partner_keys').set({ revoked_at: new Date() }).where('id', '=', keyId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** `<key id>:<secret>` → the partner and its scopes, or null (unknown, revoked, wrong secret). */
export async function authenticatePartner(db: Db, credentials: string): Promise<PartnerAuth | null> {
  const sep = credentials.indexOf(':');
  const keyId = credentials.slice(0, sep);
  const secret = credentials.slice(sep + 1);
  if (sep < 0 || !PARTNER_KEY_ID.test(keyId) || !PARTNER_SECRET.test(secret)) return null;
  const row = await db
    .selectFrom('partner_keys as k')
    .innerJoin('partners as p', 'p.id', 'k.partner_id')
    .select(['k.id', 'k.credential_id', 'k.partner_id', 'k.secret_hash', 'k.scopes', 'k.revoked_at', 'p.tier'])
    .where('k.id', '=', keyId)
    .executeTakeFirst();
  // The secret's hash is compared in constant time, whether or not the key exists.
  const presented = Buffer.from(hashApiKey(secret), 'hex');
  const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
  const matches = timingSafeEqual(presented, stored);
  if (!row || row.revoked_at || !matches) return null;
  return {
    partnerId: row.partner_id,
    keyId: row.id,
    credentialId: row.credential_id,
    scopes: row.scopes.filter((s): s is PartnerScope => (PARTNER_SCOPES as readonly string[]).includes(s)),
    tier: row.tier,
  };
}
