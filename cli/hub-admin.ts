/**
 * Operator command line for tenants and API keys. Connects to DATABASE_URL, or to the embedded
 * Postgres of a running `npm run dev`.
 *
 *   npm run hub-admin -- tenant:create --name "Acme Deliveries" [--rate-limit 300]
 *   npm run hub-admin -- tenant:list
 *   npm run hub-admin -- key:create --tenant ten_… [--name ci] [--scopes stops:read,stops:write] [--env live|test]
 *   npm run hub-admin -- key:list --tenant ten_…
 *   npm run hub-admin -- key:revoke --key key_…
 */
import { parseArgs } from 'node:util';
import { createApiKey, createTenant, listApiKeys, revokeApiKey } from '../common/auth/api-keys';
import { SCOPES, scopeSchema, type Scope } from '../common/auth/scopes';
import { loadConfig } from '../common/config';
import { connectDatabase } from '../common/db/connect';
import { migrateToLatest } from '../common/db/migrate';
import { resolveEndpoints } from '../common/runtime';

const USAGE = `usage: hub-admin <command> [options]
  tenant:create --name NAME [--rate-limit N]
  tenant:list
  key:create --tenant ID [--name NAME] [--scopes a,b] [--env live|test]
  key:list --tenant ID
  key:revoke --key KEY_ID
scopes: ${SCOPES.join(', ')}`;

class UsageError extends Error {}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) return [...SCOPES];
  return raw.split(',').map((s) => {
    const parsed = scopeSchema.safeParse(s.trim());
    if (!parsed.success) throw new UsageError(`unknown scope "${s}"`);
    return parsed.data;
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      key: { type: 'string' },
      scopes: { type: 'string' },
      env: { type: 'string' },
      'rate-limit': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0];
  if (!command) throw new UsageError('no command given');
  const config = loadConfig();
  const database = connectDatabase(resolveEndpoints(config).databaseUrl);
  const { db } = database;
  const print = (human: string, data: unknown): void => console.log(values.json ? JSON.stringify(data) : human);
  try {
    await migrateToLatest(db);
    switch (command) {
      case 'tenant:create': {
        const tenant = await createTenant(db, need(values.name, '--name'));
        if (values['rate-limit']) {
          const limit = Number.parseInt(values['rate-limit'], 10);
          if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--rate-limit must be a positive whole number');
          await db.updateTable('tenants').set({ rate_limit_per_minute: limit }).where('id', '=', tenant.id).execute();
        }
        print(`tenant ${tenant.id} (${tenant.name})`, { id: tenant.id, name: tenant.name });
        return 0;
      }
      case 'tenant:list': {
        const tenants = await db.selectFrom('tenants').selectAll().orderBy('created_at').execute();
        print(tenants.map((t) => `${t.id}\t${t.name}`).join('\n'), tenants);
        return 0;
      }
      case 'key:create': {
        const env = values.env ?? 'live';
        if (env !== 'live' && env !== 'test') throw new UsageError('--env must be live or test');
        const tenantId = need(values.tenant, '--tenant');
        const exists = await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
        if (!exists) throw new UsageError(`no tenant ${tenantId}`);
        const { key, row } = await createApiKey(db, { tenantId, name: values.name, scopes: parseScopes(values.scopes), env });
        print(
          `key ${row.id} for ${tenantId} with scopes ${row.scopes.join(',')}\n${key}\n(shown once: store it now)`,
          { id: row.id, tenant_id: tenantId, scopes: row.scopes, key },
        );
        return 0;
      }
      case 'key:list': {
        const keys = await listApiKeys(db, need(values.tenant, '--tenant'));
        const view = keys.map((k) => ({
          id: k.id,
          name: k.name,
          prefix: k.prefix,
          scopes: k.scopes,
          created_at: k.created_at,
          revoked_at: k.revoked_at,
        }));
        print(
          view.map((k) => `${k.id}\t${k.prefix}…\t${k.name}\t${k.scopes.join(',')}\t${k.revoked_at ? 'revoked' : 'active'}`).join('\n'),
          view,
        );
        return 0;
      }
      case 'key:revoke': {
        const keyId = need(values.key, '--key');
        const revoked = await revokeApiKey(db, keyId);
        if (!revoked) throw new UsageError(`no active key ${keyId}`);
        print(`revoked ${keyId}`, { id: keyId, revoked: true });
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`hub-admin: ${(err as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`hub-admin: ${(err as Error).message}`);
    process.exit(1);
  },
);
