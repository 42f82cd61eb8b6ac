/** The integrator-facing platform: route table, scopes, OpenAPI and docs, idempotency, rate limits, hostile input. */
import { connect } from 'node:net';
import { chromium } from 'playwright-core';
import { sql } from 'kysely';
import { createApp } from '../api/app';
import { OPERATIONS } from '../api/openapi';
import { PARTNER_OPERATIONS } from '../api/partner/operations';
import { DOC_SECTIONS } from '../api/routes/docs';
import { openApiPath } from '../api/openapi-document';
import { startApi } from '../api/server';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop, eventually, stopBody } from './support/fixtures';
import { Receiver } from './support/receiver';
import { servedRoutes } from './support/routes';

let hub: TestHub;
let receiver: Receiver;
let owner: TestTenant;
let ids: Record<string, string>;

beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  owner = await hub.tenant();
  // One of every resource, so every :id route can be called for real.
  const stop = await createStop(hub, owner.key);
  const driver = await createDriver(hub, owner.key);
  const sub = (await hub.call('POST', '/v1/webhooks/subscriptions', { key: owner.key, body: { url: `${receiver.url}/platform`, events: ['stop.created'] } })).body;
  await createStop(hub, owner.key);
  const deliveries = await eventually(async () => (await hub.call('GET', '/v1/webhooks/deliveries', { key: owner.key })).body.items, (items: any[]) => items.length > 0);
  const imp = (await hub.call('POST', '/v1/stops/bulk', { key: owner.key, body: [stopBody()] })).body;
  const route = (await hub.call('POST', '/v1/routes', { key: owner.key, body: { driver_id: driver.id, stop_ids: [stop.id] } })).body;
  const zippex = (await hub.call('POST', '/v1/webhooks', { key: owner.key, body: { url: `${receiver.url}/platform-zippex`, events: ['delivery.created'] } })).body;
  const recovery = (await hub.call('POST', `/v1/webhooks/subscriptions/${sub.id}/recover`, { key: owner.key, body: { since: new Date(Date.now() - 60_000).toISOString() } })).body;
  ids = { stops: stop.id, drivers: driver.id, subscriptions: sub.id, deliveries: deliveries[0].id, imports: imp.import_id, routes: route.id, webhooks: zippex.id, recoveries: recovery.id };
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

/** A real path for an operation: `:id` filled with this tenant's resource of that kind. */
function realPath(path: string): string {
  return path.replace(/\/(stops|drivers|subscriptions|deliveries|imports|routes|webhooks|recoveries)\/:id/, (_m, kind: string) => `/${kind}/${ids[kind]}`);
}

const v1Operations = OPERATIONS.filter((o) => o.path.startsWith('/v1/') && o.scope !== null);

describe('the router table', () => {
  test('every served route is documented, and every documented operation is served', () => {
    const app = createApp(hub.apiContext);
    const served = servedRoutes(app)
      .filter((r) => !r.path.startsWith('/docs') && !r.path.startsWith('/console'))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    const documented = [...OPERATIONS, ...PARTNER_OPERATIONS].map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect([...served].sort()).toEqual([...documented].sort());
  });

  test('every /v1 route: no key is 401, a key without the scope is 403 naming it, another tenant\'s ids are 404', async () => {
    const noScopes = await hub.tenant([]);
    const stranger = await hub.tenant();
    for (const o of v1Operations) {
      const path = realPath(o.path);
      const anon = await hub.call(o.method.toUpperCase(), path, { body: o.body ? {} : undefined });
      expect([o.method, o.path, anon.status]).toEqual([o.method, o.path, 401]);

      const unscoped = await hub.call(o.method.toUpperCase(), path, { key: noScopes.key, body: o.body ? {} : undefined });
      if (o.scope === 'any') {
        expect([o.path, unscoped.status]).toEqual([o.path, 200]);
      } else {
        expect([o.method, o.path, unscoped.status]).toEqual([o.method, o.path, 403]);
        expect(unscoped.body.error.details.required_scope).toBe(o.scope);
      }
      if (o.path.includes(':id')) {
        const foreign = await hub.call(o.method.toUpperCase(), path, { key: stranger.key, body: o.body ? {} : undefined });
        expect([o.method, o.path, foreign.status]).toEqual([o.method, o.path, 404]);
      }
    }
  });
});

describe('OpenAPI and the docs page', () => {
  test('/v1/openapi.json is OpenAPI 3.1, served without a key, with every operation', async () => {
    const res = await hub.call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const o of OPERATIONS) expect(res.body.paths[openApiPath(o.path)]?.[o.method]).toBeDefined();
    const create = res.body.paths['/v1/stops'].post;
    // The body is the named StopCreate component, and the page of stops refers to Stop.
    expect(create.operationId).toBe('stops.create');
    expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/StopCreate' });
    expect(JSON.stringify(res.body.components.schemas.StopCreate)).toContain('payment_method');
    expect(JSON.stringify(res.body.paths['/v1/stops'].get.responses['200'])).toContain('#/components/schemas/Stop"');
    expect(JSON.stringify(res.body.paths['/v1/stops'].get.parameters)).toContain('updated_since');
  });

  test('real responses match their documented schemas, key for key', async () => {
    let checked = 0;
    for (const o of OPERATIONS.filter((x) => x.method === 'get' && x.response)) {
      const res = await hub.call('GET', realPath(o.path), { key: owner.key });
      expect([o.path, res.status]).toEqual([o.path, o.status]);
      const parsed = o.response!.safeParse(res.body);
      expect([o.path, parsed.success ? 'ok' : JSON.stringify(parsed.error.issues).slice(0, 300)]).toEqual([o.path, 'ok']);
      const shape = (o.response as any).shape;
      if (shape) expect([o.path, Object.keys(res.body).filter((k) => !(k in shape))]).toEqual([o.path, []]);
      checked++;
    }
    const created = await hub.call('POST', '/v1/stops', { key: owner.key, body: stopBody() });
    expect(OPERATIONS.find((o) => o.method === 'post' && o.path === '/v1/stops')!.response!.safeParse(created.body).success).toBe(true);
    expect(checked).toBeGreaterThan(15);
  });

  test('/docs renders in a real browser with every endpoint group', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(hub.url)) external.push(r.url());
      });
      await page.goto(`${hub.url}/docs`);
      await page.waitForSelector('.opblock-tag', { timeout: 30_000 });
      const groups = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
      expect([...new Set(OPERATIONS.map((o) => o.tag))].sort()).toEqual([...groups].sort());
      expect(await page.$$eval('.opblock', (els) => els.length)).toBe(OPERATIONS.length);
      // The brokers' section: the Partner API's own document.
      await page.goto(`${hub.url}/docs?urls.primaryName=${encodeURIComponent(DOC_SECTIONS[1]!.name)}`);
      await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('.opblock').length === n, PARTNER_OPERATIONS.length, { timeout: 30_000 });
      const partnerGroups = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
      expect([...new Set(PARTNER_OPERATIONS.map((o) => o.tag))].sort()).toEqual([...partnerGroups].sort());
      expect(external).toEqual([]); // no CDN
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('Idempotency-Key', () => {
  test('same key and body replays; another body is 409; concurrent requests do the work once (the others are 409 in progress)', async () => {
    const t = await hub.tenant();
    const body = stopBody();
    const first = await hub.call('POST', '/v1/stops', { key: t.key, body, headers: { 'idempotency-key': 'k-1' } });
    const replay = await hub.call('POST', '/v1/stops', { key: t.key, body, headers: { 'idempotency-key': 'k-1' } });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('x-idempotency-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(first.headers.get('x-idempotency-replayed')).toBeNull();
    const other = await hub.call('POST', '/v1/stops', { key: t.key, body: stopBody(), headers: { 'idempotency-key': 'k-1' } });
    expect(other.status).toBe(409);
    expect(other.body.error.details.reason).toBe('idempotency_key_reused');

    const racing = stopBody();
    const results = await Promise.all(Array.from({ length: 5 }, () => hub.call('POST', '/v1/stops', { key: t.key, body: racing, headers: { 'idempotency-key': 'k-race' } })));
    // One does the work; the others are 409 while it runs, or replay it once it has answered.
    const replayed = (r: { headers: Headers }) => r.headers.get('x-idempotency-replayed') === 'true';
    const [won, ...more] = results.filter((r) => r.status === 201 && !replayed(r));
    expect([won?.status, more]).toEqual([201, []]);
    const answer = (r: (typeof results)[number]) => (r.status === 409 ? r.body.error.details.reason : { status: r.status, replayed: replayed(r), id: r.body.id });
    for (const r of results.filter((x) => x !== won)) expect(['idempotency_key_in_progress', { status: 201, replayed: true, id: won!.body.id }]).toContainEqual(answer(r));
    const retried = await hub.call('POST', '/v1/stops', { key: t.key, body: racing, headers: { 'idempotency-key': 'k-race' } });
    expect([retried.status, replayed(retried), retried.body.id]).toEqual([201, true, won!.body.id]);
    expect(await hub.db.selectFrom('stops').select('id').where('tenant_id', '=', t.tenantId).execute()).toHaveLength(2);

    // Keys are per tenant, and kept across API replicas (they live in Postgres).
    const second = await startApi(hub.apiContext, 0, '127.0.0.1');
    try {
      const viaOther = await fetch(`${second.url}/v1/stops`, { method: 'POST', headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: JSON.stringify(body) });
      expect(viaOther.headers.get('x-idempotency-replayed')).toBe('true');
      expect(((await viaOther.json()) as { id: string }).id).toBe(first.body.id);
    } finally {
      await second.close();
    }
    const u = await hub.tenant();
    expect((await hub.call('POST', '/v1/stops', { key: u.key, body, headers: { 'idempotency-key': 'k-1' } })).status).toBe(201);

    // The API died after the stop committed but before the answer was stored: the retry finds
    // its own stop (same id, same external_ref), never a 409 against itself.
    const lostAnswer = stopBody();
    const firstTry = await hub.call('POST', '/v1/stops', { key: t.key, body: lostAnswer, headers: { 'idempotency-key': 'k-lost' } });
    await hub.db.deleteFrom('idempotency_keys').where('owner_id', '=', t.tenantId).where('key', '=', 'k-lost').execute();
    const retry = await hub.call('POST', '/v1/stops', { key: t.key, body: lostAnswer, headers: { 'idempotency-key': 'k-lost' } });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(firstTry.body.id);
    const bulkItems = [stopBody(), stopBody()];
    const bulkFirst = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: bulkItems, headers: { 'idempotency-key': 'k-bulk-lost' } });
    await hub.db.deleteFrom('idempotency_keys').where('owner_id', '=', t.tenantId).where('key', '=', 'k-bulk-lost').execute();
    const bulkRetry = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: bulkItems, headers: { 'idempotency-key': 'k-bulk-lost' } });
    expect(bulkRetry.status).toBe(201);
    expect(bulkRetry.body.import_id).toBe(bulkFirst.body.import_id);
    expect((await hub.call('POST', '/v1/stops', { key: t.key, body, headers: { 'idempotency-key': 'x'.repeat(300) } })).status).toBe(400);
  });
});

describe('rate limits', () => {
  test('per key, with headers on every response, 429 past the limit, shared across replicas', async () => {
    const t = await hub.tenant(undefined, { rateLimitPerMinute: 5 });
    const second = await startApi(hub.apiContext, 0, '127.0.0.1');
    try {
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const url = i % 2 ? second.url : hub.url;
        const res = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${t.key}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('5');
        expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
        remaining.push(Number(res.headers.get('x-ratelimit-remaining')));
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const limited = await hub.call('GET', '/v1/me', { key: t.key });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { limit: 5, remaining: 0, retry_after: expect.any(Number), reset_at: expect.any(Number) } });
    } finally {
      await second.close();
    }
  });

  test('/v1/me and /v1/rate-limit-status show the tier; the default is 100 a minute', async () => {
    const t = await hub.tenant(undefined, { rateLimitPerMinute: null });
    const me = await hub.call('GET', '/v1/me', { key: t.key });
    expect(me.body).toMatchObject({ tenant_id: t.tenantId, rate_limit_tier: 'standard', rate_limit_per_minute: 100 });
    const status = await hub.call('GET', '/v1/rate-limit-status', { key: t.key });
    expect(status.body).toMatchObject({ tier: 'standard', limit: 100, remaining: 98, window_seconds: 60 });
    expect(status.headers.get('x-ratelimit-remaining')).toBe('98');
  });
});

describe('hostile input on every route', () => {
  const snapshot = async (tenantId: string) => {
    const { rows } = await sql<{ t: string; n: string; v: string }>`
      select 'stops' t, count(*)::text n, coalesce(sum(version), 0)::text v from stops where tenant_id = ${tenantId}
      union all select 'drivers', count(*)::text, coalesce(max(updated_at)::text, '') from drivers where tenant_id = ${tenantId}
      union all select 'events', count(*)::text, '' from events where tenant_id = ${tenantId}
      union all select 'subs', count(*)::text, coalesce(max(updated_at)::text, '') from webhook_subscriptions where tenant_id = ${tenantId}
      union all select 'deliveries', count(*)::text, coalesce(sum(attempt_count), 0)::text from webhook_deliveries where tenant_id = ${tenantId}
      union all select 'imports', count(*)::text, '' from imports where tenant_id = ${tenantId}`.execute(hub.db);
    return rows;
  };

  const rawRequest = (path: string, headerBytes: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const { port } = new URL(hub.url);
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(headerBytes)}\r\nAuthorization: Bearer ${owner.key}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });

  test('malformed JSON, wrong types, oversized bodies, bad UTF-8, NUL, lone surrogates, deep nesting, huge echoes, hex numbers, unknown query parameters, traversal and huge headers: all 4xx in the contract shape, nothing written', async () => {
    // Let background work (geocoding, deliveries) settle before taking the snapshot.
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await snapshot(owner.tenantId);
    const json = { 'content-type': 'application/json' };
    const attacks: [string, (o: (typeof OPERATIONS)[number]) => Promise<{ status: number; text: string }>][] = [
      ['unknown query parameter', (o) => hub.call(o.method.toUpperCase(), `${realPath(o.path)}?debug=1&__proto__=x`, { key: owner.key })],
      ['path traversal', (o) => hub.call(o.method.toUpperCase(), o.path.replace(':id', '..%2F..%2F..%2Fetc%2Fpasswd'), { key: owner.key })],
      ['hex and exponent numbers in the query', (o) => hub.call(o.method.toUpperCase(), `${realPath(o.path)}?limit=0x10&page=1e1&page_size=0x2`, { key: owner.key })],
      ['NUL and lone surrogates in the query', (o) => hub.call(o.method.toUpperCase(), `${realPath(o.path)}?event_type=%00&status=%ED%A0%80&cursor=a%00`, { key: owner.key })],
    ];
    const LONE = 'x\ud800y';
    const poisonedFields = (v: string) => ({ address: v, name: v, url: v, reason: v, notes: v, driver_id: v, customer_name: v, events: [v], proof: { signee_name: v } });
    const bodyAttacks: typeof attacks = [
      ['malformed JSON', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: '{"address": "x",', headers: json })],
      ['wrong types', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, body: { address: 42, driver_id: [1], reason: {}, url: false, lat: 'north', is_active: 'yes', __proto__: { admin: true } } })],
      ['a bare number', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: '12345', headers: json })],
      ['oversized body', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: JSON.stringify({ notes: 'x'.repeat(3_000_000) }), headers: json })],
      ['bad UTF-8', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: Buffer.from([0x7b, 0x22, 0x6e, 0x6f, 0x74, 0x65, 0x73, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), headers: json })],
      ['form encoding', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
      ['lone surrogates', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, body: poisonedFields(LONE) })],
      ['NUL characters', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, body: poisonedFields('x\u0000y') })],
      ['a lone surrogate in a key', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, body: { [LONE]: 1 } })],
      ['nesting 10,000 deep', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, rawBody: `${'['.repeat(10_000)}${']'.repeat(10_000)}`, headers: { ...json, 'idempotency-key': `deep-${o.method}-${o.path}` } })],
      ['a megabyte to echo', (o) => hub.call(o.method.toUpperCase(), realPath(o.path), { key: owner.key, body: { address: 'y'.repeat(1_000_000), events: ['e'.repeat(500_000)], ['k'.repeat(100_000)]: 1 } })],
    ];
    let calls = 0;
    for (const o of v1Operations) {
      const list = o.method === 'get' ? attacks : [...attacks, ...bodyAttacks];
      for (const [name, attack] of list) {
        if (name === 'path traversal' && !o.path.includes(':id')) continue;
        const res = await attack(o);
        calls++;
        expect([o.method, o.path, name, res.status >= 400 && res.status < 500]).toEqual([o.method, o.path, name, true]);
        expect([o.path, name, JSON.parse(res.text).error.code]).toEqual([o.path, name, expect.any(String)]);
        expect([o.path, name, res.text.length < 10_000]).toEqual([o.path, name, true]);
      }
      const big = await rawRequest(realPath(o.path), 40_000);
      expect(big).toMatch(/^HTTP\/1\.1 431/);
      expect(big).toContain('"error"');
    }
    expect(calls).toBeGreaterThan(300);
    expect(await snapshot(owner.tenantId)).toEqual(before);
  }, 120_000);
});
