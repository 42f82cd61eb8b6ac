import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { eventually } from './support/fixtures';
import { startTestHub, type TestHub } from './support/hub';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ worker: false });
});
afterAll(async () => hub.stop());

test('no key, a malformed header or an unknown key is a 401', async () => {
  const attempts: Record<string, string>[] = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }, { authorization: 'Bearer dh_live_' + 'A'.repeat(32) }, { authorization: 'Bearer ' + 'x'.repeat(5000) }];
  for (const headers of attempts) {
    const res = await hub.call('GET', '/v1/me', { headers });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  }
});

test('a valid key sees its own tenant and scopes', async () => {
  const t = await hub.tenant(['stops:read']);
  const res = await hub.call('GET', '/v1/me', { key: t.key });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ tenant_id: t.tenantId, scopes: ['stops:read'] });
  expect(res.body.key_id).toMatch(/^key_/);
});

test('keys are stored only as hashes', async () => {
  const t = await hub.tenant();
  const rows = await hub.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', t.tenantId).execute();
  expect(rows).toHaveLength(1);
  expect(JSON.stringify(rows)).not.toContain(t.key);
  expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
});

describe('the hub-admin command line', () => {
  const tsx = path.resolve(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const cli = path.resolve(__dirname, '..', 'cli', 'hub-admin.ts');
  // DATABASE_URL is all it needs, as the README says: no TEMPORAL_ADDRESS (and no dev stack file).
  const { TEMPORAL_ADDRESS: _temporal, ...env } = process.env;
  const run = (...args: string[]) => {
    const out = spawnSync(tsx, [cli, ...args, '--json'], { encoding: 'utf8', env: { ...env, HUB_DATA_DIR: '/nonexistent-hub-data' } });
    return { code: out.status, json: out.stdout.trim() ? JSON.parse(out.stdout.trim().split('\n').pop()!) : undefined, stderr: out.stderr };
  };

  test('creates a tenant and a key, lists keys without the secret, and revokes', async () => {
    const tenant = run('tenant:create', '--name', 'Acme Deliveries');
    expect(tenant.code).toBe(0);
    expect(tenant.json.id).toMatch(/^ten_/);

    const key = run('key:create', '--tenant', tenant.json.id, '--scopes', 'stops:read,events:read', '--env', 'test');
    expect(key.code).toBe(0);
    expect(key.json.key).toMatch(/^dh_test_[A-Za-z0-9]{32}$/);

    const me = await hub.call('GET', '/v1/me', { key: key.json.key });
    expect(me.status).toBe(200);
    expect(me.body.scopes).toEqual(['stops:read', 'events:read']);

    const list = run('key:list', '--tenant', tenant.json.id);
    expect(list.code).toBe(0);
    expect(list.json).toHaveLength(1);
    expect(JSON.stringify(list.json)).not.toContain(key.json.key);
    expect(list.json[0].prefix).toBe(key.json.key.slice(0, 12));

    expect(run('key:revoke', '--key', key.json.id).code).toBe(0);
    // Each API process keeps a valid key for up to 5 s: revocation takes hold within that.
    const revokedAt = Date.now();
    const after = await eventually(() => hub.call('GET', '/v1/me', { key: key.json.key }), (r) => r.status === 401, 6_000);
    expect(after.status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(6_000);
    expect(run('key:revoke', '--key', key.json.id).code).toBe(2);
  });

  test('partners: create, link, a key shown once and stored hashed, list, revoke', async () => {
    const tenant = run('tenant:create', '--name', 'Provider for brokers');
    const partner = run('partner:create', '--name', 'Acme Brokerage', '--tier', 'premium');
    expect(partner.code).toBe(0);
    expect(partner.json).toMatchObject({ name: 'Acme Brokerage', tier: 'premium' });
    expect(partner.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run('partner:link', '--partner', partner.json.id, '--tenant', tenant.json.id).code).toBe(0);
    expect(run('partner:link', '--partner', partner.json.id, '--tenant', 'ten_nope').code).toBe(2);

    const key = run('partner:key:create', '--partner', partner.json.id, '--scopes', 'trips:read,billing:read', '--env', 'test');
    expect(key.code).toBe(0);
    expect(key.json.key_id).toMatch(/^nvr_pk_test_[A-Za-z0-9]{24}$/);
    expect(key.json.secret).toMatch(/^nvr_sk_test_[A-Za-z0-9]{40}$/);
    const stored = await hub.db.selectFrom('partner_keys').selectAll().where('id', '=', key.json.key_id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(key.json.secret);

    const bearer = `${key.json.key_id}:${key.json.secret}`;
    const me = await hub.call('GET', '/api/partner/v1/me', { key: bearer });
    expect(me.body).toMatchObject({ partner_id: partner.json.id, scopes: ['trips:read', 'billing:read'], rate_limit_tier: 'premium' });
    const stop = await hub.call('POST', '/v1/stops', {
      key: (await hub.tenant()).key,
      body: { address: 'Pikk 19, 10123 Tallinn, Estonia', broker_id: partner.json.id },
    });
    expect(stop.status).toBe(400); // that tenant is not linked

    const list = run('partner:key:list', '--partner', partner.json.id);
    expect(list.json).toEqual([expect.objectContaining({ key_id: key.json.key_id, scopes: ['trips:read', 'billing:read'], revoked_at: null })]);
    expect(JSON.stringify(list.json)).not.toContain(key.json.secret);
    expect(run('partner:key:revoke', '--key', key.json.key_id).code).toBe(0);
    const after = await eventually(() => hub.call('GET', '/api/partner/v1/me', { key: bearer }), (r) => r.status === 401, 6_000);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
    expect(run('partner:key:create', '--partner', partner.json.id, '--scopes', 'trips:write').code).toBe(2);
    expect(run('partner:create', '--name', 'x', '--tier', 'gold').code).toBe(2);
  });

  test('refuses unknown scopes and missing arguments with usage', () => {
    const bad = run('key:create', '--tenant', 'ten_x', '--scopes', 'everything');
    expect(bad.code).toBe(2);
    expect(run('tenant:create').code).toBe(2);
    expect(run('frobnicate').code).toBe(2);
  });
});
