/**
 * Issue #11: poison input, bounded retries and deadlines, scope before replay, secrets at rest,
 * deep JSON, the SSRF policy's IPv6 and port gaps, expired idempotency keys, capped echoes.
 */
import { createServer, type Server } from 'node:net';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describeValue } from '../api/errors';
import { createApiKey } from '../common/auth/api-keys';
import { findUnsafeInput } from '../api/middleware/input-guard';
import { postOnce } from '../common/deliveries/http-attempt';
import { isPublicAddress } from '../common/subscriptions/url-policy';
import { stopTransitionUpdates } from '../common/temporal/stop-lifecycle';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop, eventually, stopBody } from './support/fixtures';

let hub: TestHub;
let t: TestTenant;
let driver: any;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
  driver = await createDriver(hub, t.key);
});
afterAll(async () => hub.stop());

const LONE = 'bad \ud800 reason';
const NUL = 'bad \u0000 value';
const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

async function inTransit(): Promise<any> {
  const stop = await createStop(hub, t.key);
  for (const [action, body] of [['assign', { driver_id: driver.id }], ['pick-up', undefined], ['depart', undefined]] as const) {
    expect((await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: t.key, body })).status).toBe(200);
  }
  return stop;
}

describe('poisoned strings never reach a workflow', () => {
  test('lone surrogates and NUL in every move, PATCH and bulk field are a 400 naming the field; the stop then completes', async () => {
    const stop = await inTransit();
    const poisoned: [string, string, unknown, string][] = [
      ['POST', 'cancel', { reason: LONE }, 'reason'],
      ['POST', 'cancel', { reason: NUL }, 'reason'],
      ['POST', 'complete', { proof: { photo_urls: ['https://x.example/a\u0000b.jpg'] } }, 'proof.photo_urls.0'],
      ['POST', 'complete', { proof: { photo_urls: [`https://x.example/${LONE}.jpg`] } }, 'proof.photo_urls.0'],
      ['POST', 'complete', { notes: LONE }, 'notes'],
      ['POST', 'complete', { notes: NUL }, 'notes'],
      ['POST', 'complete', { proof: { signature_url: `https://x.example/${NUL}` } }, 'proof.signature_url'],
      ['POST', 'complete', { proof: { signee_name: LONE } }, 'proof.signee_name'],
      ['POST', 'fail', { reason: 'not_home', notes: LONE }, 'notes'],
      ['POST', 'fail', { reason: 'not_home', notes: NUL }, 'notes'],
      ['PATCH', '', { notes: LONE }, 'notes'],
      ['PATCH', '', { customer_name: NUL }, 'customer_name'],
      ['PATCH', '', { address: `Pikk 19 ${LONE}` }, 'address'],
      ['PATCH', '', { external_ref: NUL }, 'external_ref'],
      ['PATCH', '', { [`x${LONE}`]: 1 }, '(key)'],
    ];
    for (const [method, action, body, field] of poisoned) {
      const res = await hub.call(method, `/v1/stops/${stop.id}${action ? `/${action}` : ''}`, { key: t.key, body });
      expect([action || 'patch', field, res.status, res.body.error.code]).toEqual([action || 'patch', field, 400, 'validation_error']);
      expect(res.body.error.details.field).toContain(field);
    }
    const bulk = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: [stopBody(), stopBody({ notes: LONE }), stopBody()] });
    expect(bulk.status).toBe(400);
    expect(bulk.body.error.details).toMatchObject({ field: '1.notes', index: 1 });

    const done = await hub.call('POST', `/v1/stops/${stop.id}/complete`, { key: t.key, body: { notes: 'left at the door', proof: { photo_urls: ['https://x.example/a.jpg'] } } });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
  });

  test('a write the database refuses fails its Update at once (no retry loop); the workflow stays healthy and the stop movable', async () => {
    const stop = await createStop(hub, t.key);
    await eventually(() => hub.temporal.workflow.getHandle(`stop/${stop.id}`).describe().catch(() => undefined), (d) => d !== undefined, 5_000);
    // Straight to the workflow, past the API's validation, as a bug or a new field might.
    const handle = hub.temporal.workflow.getHandle(`stop/${stop.id}`);
    const started = Date.now();
    const err = await handle.executeUpdate(stopTransitionUpdates.cancel, { args: [{ reason: NUL }] }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');

    const history = await handle.fetchHistory();
    const failedTasks = history.events!.filter((e) => e.workflowTaskFailedEventAttributes);
    expect(failedTasks).toHaveLength(0);
    const assigned = await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: driver.id } });
    expect(assigned.status).toBe(200);
    const row = await hub.db.selectFrom('stops').select(['status', 'version']).where('id', '=', stop.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'assigned', version: 2 });
  });
});

describe('the API never waits without a deadline', () => {
  test('with no worker to apply a move, the answer is a 503 with Retry-After; a keyed retry later applies it once', async () => {
    // The suite's hubs share one database: this file's relay would start the stop elsewhere.
    await hub.stopWorkers();
    const own = await startTestHub({ worker: false, env: { HUB_UPDATE_TIMEOUT_MS: '1500' } });
    try {
      const u = await own.tenant();
      const d = await createDriver(own, u.key);
      const stop = await createStop(own, u.key);
      const headers = { 'idempotency-key': `assign-${stop.id}` };
      const started = Date.now();
      const res = await own.call('POST', `/v1/stops/${stop.id}/assign`, { key: u.key, body: { driver_id: d.id }, headers });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body.error.code).toBe('service_unavailable');

      await own.startWorker();
      const retried = await own.call('POST', `/v1/stops/${stop.id}/assign`, { key: u.key, body: { driver_id: d.id }, headers });
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('assigned');
      const history = await own.call('GET', `/v1/stops/${stop.id}/history`, { key: u.key });
      expect(history.body.history.map((h: any) => h.to_status)).toEqual(['pending', 'assigned']);
    } finally {
      await own.stop();
      await hub.startWorker();
    }
  });
});

describe('scopes and stored answers', () => {
  test('a key without the scope cannot replay another key\'s answer, and a 403 is never replayed', async () => {
    const full = await hub.tenant();
    const { key: readOnly } = await createApiKey(hub.db, { tenantId: full.tenantId, scopes: ['stops:read'], env: 'test' });
    const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: full.key, body: { url: 'https://hooks.example.com/x' } });
    const rotate = `/v1/webhooks/subscriptions/${sub.body.id}/rotate-secret`;
    const first = await hub.call('POST', rotate, { key: full.key, headers: { 'idempotency-key': 'rot-1' } });
    expect(first.status).toBe(200);
    const stolen = await hub.call('POST', rotate, { key: readOnly, headers: { 'idempotency-key': 'rot-1' } });
    expect(stolen.status).toBe(403);
    expect(stolen.text).not.toContain(first.body.secret);

    const denied = await hub.call('POST', rotate, { key: readOnly, headers: { 'idempotency-key': 'rot-2' } });
    expect(denied.status).toBe(403);
    const allowed = await hub.call('POST', rotate, { key: full.key, headers: { 'idempotency-key': 'rot-2' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('x-idempotency-replayed')).toBeNull();
    expect(allowed.body.secret).toMatch(/^whsec_/);
  });

  test('stored answers carrying a secret are sealed at rest', async () => {
    const u = await hub.tenant();
    const created = await hub.call('POST', '/v1/webhooks/subscriptions', { key: u.key, body: { url: 'https://hooks.example.com/y' }, headers: { 'idempotency-key': 'sub-1' } });
    const rotated = await hub.call('POST', `/v1/webhooks/subscriptions/${created.body.id}/rotate-secret`, { key: u.key, headers: { 'idempotency-key': 'rot-1' } });
    const rows = await hub.db.selectFrom('idempotency_keys').selectAll().where('owner_id', '=', u.tenantId).execute();
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(rows);
    for (const secret of [created.body.secret, rotated.body.secret, created.body.secret.slice(6, 30)]) expect(stored).not.toContain(secret);
    expect(stored).not.toContain('whsec_');
    const replay = await hub.call('POST', '/v1/webhooks/subscriptions', { key: u.key, body: { url: 'https://hooks.example.com/y' }, headers: { 'idempotency-key': 'sub-1' } });
    expect(replay.headers.get('x-idempotency-replayed')).toBe('true');
    expect(replay.body.secret).toBe(created.body.secret);
  });

  test('a key reused after its record expired, with another body, creates a new stop', async () => {
    const u = await hub.tenant();
    const first = await hub.call('POST', '/v1/stops', { key: u.key, body: stopBody(), headers: { 'idempotency-key': 'reused' } });
    await hub.db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('owner_id', '=', u.tenantId).execute();
    const body = stopBody({ customer_name: 'Someone Else' });
    const second = await hub.call('POST', '/v1/stops', { key: u.key, body, headers: { 'idempotency-key': 'reused' } });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.customer_name).toBe('Someone Else');
  });
});

describe('deep and huge input', () => {
  test('a body nested 10,000 deep is a 400 on every route, keyed or not', async () => {
    const stop = await createStop(hub, t.key);
    for (const [method, path] of [['POST', '/v1/stops'], ['POST', '/v1/stops/bulk'], ['POST', '/v1/drivers'], ['POST', '/v1/webhooks/subscriptions'], ['PATCH', `/v1/stops/${stop.id}`]]) {
      for (const headers of [{}, { 'idempotency-key': `deep-${path}` }] as Record<string, string>[]) {
        const res = await hub.call(method!, path!, { key: t.key, rawBody: deep(10_000), headers: { 'content-type': 'application/json', ...headers } });
        expect([path, res.status]).toEqual([path, 400]);
        expect(res.body.error.code).toBe('validation_error');
      }
    }
  });

  test('helpers are safe for any parsed value', () => {
    const value = JSON.parse(deep(50_000));
    expect(describeValue(value)).toBe('(an object with 1 key)');
    expect(findUnsafeInput(value)).toEqual({ field: expect.stringMatching(/^a\.a/), problem: 'nests deeper than 32 levels' });
    expect(findUnsafeInput({ ok: ['fine', { 'k\u0000': 1 }] })).toEqual({ field: 'ok.1.(key)', problem: 'has a key that contains a NUL character' });
    expect(findUnsafeInput(['x', `y${'\udc00'}`])).toEqual({ field: '1', problem: 'contains a lone UTF-16 surrogate' });
    expect(findUnsafeInput({ emoji: '📦 ok' })).toBeNull();
  });

  test('errors never echo more than a bounded amount', async () => {
    const hugeName = 'e'.repeat(1_500_000);
    const named = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: 'https://hooks.example.com/z', events: [hugeName] } });
    expect(named.status).toBe(400);
    expect(named.text.length).toBeLessThan(4_000);
    const manyKeys = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    const keys = await hub.call('POST', '/v1/drivers', { key: t.key, body: { name: 'x', ...manyKeys } });
    expect(keys.status).toBe(400);
    expect(keys.text.length).toBeLessThan(10_000);
    expect(keys.body.error.details.errors).toHaveLength(20);
    expect(keys.body.error.details.omitted_errors).toBe(100_000 - 20);
  });
});

describe('queries and methods', () => {
  test('numbers in queries are decimal only; NUL in a query is a 400', async () => {
    for (const q of ['limit=0x10', 'limit=1e1', 'limit=%2B5', 'limit=%205', 'limit=5.0']) {
      const res = await hub.call('GET', `/v1/stops?${q}`, { key: t.key });
      expect([q, res.status]).toEqual([q, 400]);
    }
    expect((await hub.call('GET', '/v1/stops?limit=16', { key: t.key })).status).toBe(200);
    expect((await hub.call('GET', '/v1/webhooks/deliveries?page=0x2', { key: t.key })).status).toBe(400);
    const nul = await hub.call('GET', '/v1/webhooks/deliveries?event_type=%00', { key: t.key });
    expect(nul.status).toBe(400);
    expect(nul.body.error.details).toMatchObject({ field: 'event_type', location: 'query' });
  });

  test('OPTIONS is a 204 with Allow; a wrong method is a 405 in the error shape', async () => {
    const options = await hub.call('OPTIONS', '/v1/stops');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, GET, HEAD, OPTIONS');
    const wrong = await hub.call('PUT', '/v1/stops', { key: t.key, body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('POST');
    expect(wrong.body.error.code).toBe('method_not_allowed');
    expect((await hub.call('DELETE', '/health')).status).toBe(405);
  });
});

describe('webhook targets', () => {
  test('IPv4-compatible and IPv4-embedding IPv6 forms are not public', () => {
    for (const ip of ['::7f00:1', '::127.0.0.1', '::a9fe:a9fe', '::a00:1', '::', '2002:7f00:1::1', '64:ff9b::7f00:1', '2001::1', '::ffff:0:7f00:1']) {
      expect([ip, isPublicAddress(ip)]).toEqual([ip, false]);
    }
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
  });

  test('private IPv6 forms and ports other than 443, 80 and the allowed list are refused when saved', async () => {
    const strict = await startTestHub({ worker: false, env: { HUB_ALLOW_PRIVATE_URLS: '', HUB_WEBHOOK_ALLOWED_PORTS: '8443' } });
    try {
      const u = await strict.tenant();
      const refused = ['https://[::7f00:1]/', 'https://[::127.0.0.1]/', 'https://[::a9fe:a9fe]/', 'https://[::a00:1]/', ...[22, 25, 5432, 6379, 0, 8080].map((p) => `https://93.184.216.34:${p}/hook`), 'https://hooks.example.com/a\u0000b'];
      for (const url of refused) {
        const res = await strict.call('POST', '/v1/webhooks/subscriptions', { key: u.key, body: { url } });
        expect([url, res.status]).toEqual([url, 400]);
      }
      for (const url of ['https://93.184.216.34/hook', 'https://93.184.216.34:8443/hook', 'https://93.184.216.34:443/x']) {
        expect([url, (await strict.call('POST', '/v1/webhooks/subscriptions', { key: u.key, body: { url } })).status]).toEqual([url, 201]);
      }
      const sub = (await strict.call('GET', '/v1/webhooks/subscriptions', { key: u.key })).body.items[0];
      const patched = await strict.call('PATCH', `/v1/webhooks/subscriptions/${sub.id}`, { key: u.key, body: { url: 'https://hooks.example.com/\u0000' } });
      expect(patched.status).toBe(400);
    } finally {
      await strict.stop();
    }
  });

  test('a refused port and a silent one are recorded in the same words', async () => {
    const closed: Server = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const policy = { allowPrivate: true, extraPorts: [] };
    const refused = await postOnce({ url: `http://127.0.0.1:${port}/`, body: '{}', headers: {}, timeoutMs: 5_000, policy });
    // A TEST-NET address nobody answers: the connect is dropped or unreachable, never refused.
    const filtered = await postOnce({ url: 'http://192.0.2.1:80/', body: '{}', headers: {}, timeoutMs: 5_000, policy });
    expect(refused.error).toBe('could not connect to the endpoint');
    expect(filtered.error).toBe('could not connect to the endpoint');
  });
});
