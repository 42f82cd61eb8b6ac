/**
 * The `dev` tenant and its all-scopes key for local development. The key comes from
 * HUB_DEV_API_KEY, or is generated once and kept in HUB_DATA_DIR so it stays the same
 * across restarts (the database only ever holds its hash).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApiKey, hashApiKey, KEY_PATTERN } from '../common/auth/api-keys';
import type { Db } from '../common/db/connect';

export const DEV_TENANT_ID = 'ten_dev';

export async function ensureDevTenant(db: Db, dataDir: string, fixedKey?: string): Promise<string> {
  await db.insertInto('tenants').values({ id: DEV_TENANT_ID, name: 'dev' }).onConflict((oc) => oc.doNothing()).execute();
  const keyFile = path.join(dataDir, 'dev-api-key');
  const key = fixedKey ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (key !== undefined && !KEY_PATTERN.test(key)) {
    throw new Error('HUB_DEV_API_KEY must look like dh_test_<32 letters and digits>');
  }
  if (key) {
    const row = await db
      .selectFrom('api_keys')
      .select(['tenant_id', 'revoked_at'])
      .where('key_hash', '=', hashApiKey(key))
      .executeTakeFirst();
    if (row && row.tenant_id === DEV_TENANT_ID && !row.revoked_at) return key;
    if (!row) {
      await createApiKey(db, { tenantId: DEV_TENANT_ID, name: 'dev', key });
      if (!fixedKey) writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
      return key;
    }
    if (fixedKey) throw new Error('HUB_DEV_API_KEY is revoked or belongs to another tenant');
  }
  const created = await createApiKey(db, { tenantId: DEV_TENANT_ID, name: 'dev', env: 'test' });
  writeFileSync(keyFile, `${created.key}\n`, { mode: 0o600 });
  return created.key;
}
