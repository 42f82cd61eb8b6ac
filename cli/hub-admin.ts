/**
 * Operator command line for tenants, partners (brokers) and their API keys. Connects to DATABASE_URL, or to the embedded
 * Postgres of a running `npm run dev`.
 *
 *   npm run hub-admin -- tenant:create --name "Acme Deliveries" [--rate-limit 300]
 *   npm run hub-admin -- tenant:list
 *   npm run hub-admin -- tenant:quotas --tenant ten_… [--stops-per-day N|default] [--imports-in-flight N|default] [--recoveries-in-flight N|default]
 *   npm run hub-admin -- key:create --tenant ten_… [--name ci] [--scopes stops:read,stops:write] [--env live|test]
 *   npm run hub-admin -- key:list --tenant ten_…
 *   npm run hub-admin -- key:revoke --key key_…
 *   npm run hub-admin -- partner:create --name "Acme Brokerage" [--tier standard|premium|enterprise]
 *   npm run hub-admin -- partner:list
 *   npm run hub-admin -- partner:link --partner <uuid> --tenant ten_…
 *   npm run hub-admin -- partner:key:create --partner <uuid> [--scopes trips:read,webhooks:manage] [--env live|test] [--name N]
 *   npm run hub-admin -- partner:key:list --partner <uuid>
 *   npm run hub-admin -- partner:key:revoke --key nvr_pk_…
 */
import { parseArgs } from 'node:util';
import { createApiKey, createTenant, listApiKeys, revokeApiKey } from '../common/auth/api-keys';
import { SCOPES, scopeSchema, type Scope } from '../common/auth/scopes';
import { loadConfig } from '../common/config';
import { connectDatabase } from '../common/db/connect';
import { migrateToLatest } from '../common/db/migrate';
import { QUOTAS, type QuotaName, quotaUsage, setTenantQuotas, tenantQuotas } from '../common/quotas';
import { resolveDatabaseUrl } from '../common/runtime';
import type { Db } from '../common/db/connect';
import { createPartner, createPartnerKey, linkPartner, listPartnerKeys, revokePartnerKey } from '../common/partners/partners';
import { PARTNER_SCOPES, PARTNER_TIERS, type PartnerScope, partnerScopeSchema, partnerTierSchema } from '../common/partners/scopes';
import type { z } from 'zod';

const USAGE = `usage: hub-admin <command> [options]
  tenant:create --name NAME [--rate-limit N]
  tenant:list
  tenant:quotas --tenant ID [--stops-per-day N|default] [--imports-in-flight N|default] [--recoveries-in-flight N|default]
      (sets the given quotas, "default" clears one back to the hub's; then shows them with what is used)
  key:create --tenant ID [--name NAME] [--scopes a,b] [--env live|test]
  key:list --tenant ID
  key:revoke --key KEY_ID
  partner:create --name NAME [--tier ${PARTNER_TIERS.join('|')}]
  partner:list
  partner:link --partner PARTNER_ID --tenant TENANT_ID
  partner:key:create --partner PARTNER_ID [--name NAME] [--scopes a,b] [--env live|test]
  partner:key:list --partner PARTNER_ID
  partner:key:revoke --key KEY_ID
scopes: ${SCOPES.join(', ')}
partner scopes: ${PARTNER_SCOPES.join(', ')}`;

class UsageError extends Error {}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

function parseScopes<S extends string>(raw: string | undefined, all: readonly S[], schema: z.ZodType<S>): S[] {
  if (!raw) return [...all];
  return raw.split(',').map((s) => {
    const parsed = schema.safeParse(s.trim());
    if (!parsed.success) throw new UsageError(`unknown scope "${s}"`);
    return parsed.data;
  });
}

function parseEnv(raw: string | undefined): 'live' | 'test' {
  const env = raw ?? 'live';
  if (env !== 'live' && env !== 'test') throw new UsageError('--env must be live or test');
  return env;
}

/** A quota flag's value: a whole number, or `default` (null) to clear the tenant's own. */
function parseQuota(raw: string | undefined, flag: string): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'default') return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n > 2_147_483_647) throw new UsageError(`${flag} must be a whole number ≥ 0, or "default"`);
  return n;
}

const QUOTA_FLAGS = { stops_per_day: 'stops-per-day', imports_in_flight: 'imports-in-flight', recoveries_in_flight: 'recoveries-in-flight' } as const satisfies Record<QuotaName, string>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function existingPartner(db: Db, raw: string | undefined): Promise<string> {
  const id = need(raw, '--partner');
  const found = UUID.test(id) ? await db.selectFrom('partners').select('id').where('id', '=', id).executeTakeFirst() : undefined;
  if (!found) throw new UsageError(`no partner ${id}`);
  return found.id;
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
      'stops-per-day': { type: 'string' },
      'imports-in-flight': { type: 'string' },
      'recoveries-in-flight': { type: 'string' },
      partner: { type: 'string' },
      tier: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0];
  if (!command) throw new UsageError('no command given');
  const config = loadConfig();
  const database = connectDatabase(resolveDatabaseUrl(config));
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
      case 'tenant:quotas': {
        const tenantId = need(values.tenant, '--tenant');
        const changes: Partial<Record<QuotaName, number | null>> = {};
        for (const q of QUOTAS) changes[q] = parseQuota(values[QUOTA_FLAGS[q]], `--${QUOTA_FLAGS[q]}`);
        if (!(await setTenantQuotas(db, tenantId, changes))) throw new UsageError(`no tenant ${tenantId}`);
        const [quotas, used] = await Promise.all([tenantQuotas(db, config.quotaDefaults, tenantId), quotaUsage(db, tenantId)]);
        const view = Object.fromEntries(QUOTAS.map((q) => [q, { limit: quotas.limits[q], used: used[q], source: quotas.custom.includes(q) ? 'tenant' : 'default' }]));
        print(QUOTAS.map((q) => `${q}\t${quotas.limits[q]}\t(${view[q]!.source})\tused ${used[q]}`).join('\n'), { tenant_id: tenantId, quotas: view });
        return 0;
      }
      case 'key:create': {
        const env = parseEnv(values.env);
        const tenantId = need(values.tenant, '--tenant');
        const exists = await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
        if (!exists) throw new UsageError(`no tenant ${tenantId}`);
        const { key, row } = await createApiKey(db, { tenantId, name: values.name, scopes: parseScopes<Scope>(values.scopes, SCOPES, scopeSchema), env });
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
      case 'partner:create': {
        const tier = partnerTierSchema.safeParse(values.tier ?? 'standard');
        if (!tier.success) throw new UsageError(`--tier must be one of ${PARTNER_TIERS.join(', ')}`);
        const partner = await createPartner(db, need(values.name, '--name'), tier.data);
        print(`partner ${partner.id} (${partner.name}, ${partner.tier})`, partner);
        return 0;
      }
      case 'partner:list': {
        const partners = await db.selectFrom('partners').select(['id', 'name', 'tier', 'created_at']).orderBy('created_at').execute();
        print(partners.map((p) => `${p.id}\t${p.tier}\t${p.name}`).join('\n'), partners);
        return 0;
      }
      case 'partner:link': {
        const partnerId = await existingPartner(db, values.partner);
        const tenantId = need(values.tenant, '--tenant');
        const tenant = await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
        if (!tenant) throw new UsageError(`no tenant ${tenantId}`);
        await linkPartner(db, partnerId, tenantId);
        print(`tenant ${tenantId} may now hand stops to partner ${partnerId}`, { partner_id: partnerId, tenant_id: tenantId, linked: true });
        return 0;
      }
      case 'partner:key:create': {
        const partnerId = await existingPartner(db, values.partner);
        const key = await createPartnerKey(db, { partnerId, scopes: parseScopes<PartnerScope>(values.scopes, PARTNER_SCOPES, partnerScopeSchema), env: parseEnv(values.env), name: values.name });
        print(
          `key_id ${key.keyId}\nsecret ${key.secret}\nscopes ${key.scopes.join(',')}\nAuthorization: Bearer ${key.keyId}:${key.secret}\n(the secret is shown once: store it now)`,
          { key_id: key.keyId, secret: key.secret, credential_id: key.credentialId, partner_id: partnerId, scopes: key.scopes },
        );
        return 0;
      }
      case 'partner:key:list': {
        const partnerId = await existingPartner(db, values.partner);
        const view = (await listPartnerKeys(db, partnerId)).map((k) => ({ key_id: k.id, name: k.name, scopes: k.scopes, created_at: k.created_at, revoked_at: k.revoked_at }));
        print(view.map((k) => `${k.key_id}\t${k.name}\t${k.scopes.join(',')}\t${k.revoked_at ? 'revoked' : 'active'}`).join('\n'), view);
        return 0;
      }
      case 'partner:key:revoke': {
        const keyId = need(values.key, '--key');
        if (!(await revokePartnerKey(db, keyId))) throw new UsageError(`no active partner key ${keyId}`);
        print(`revoked ${keyId}`, { key_id: keyId, revoked: true });
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
