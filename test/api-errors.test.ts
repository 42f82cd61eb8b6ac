import { startTestHub, type TestHub, type TestTenant } from './support/hub';

let hub: TestHub;
let tenant: TestTenant;
beforeAll(async () => {
  hub = await startTestHub({ worker: false });
  tenant = await hub.tenant();
});
afterAll(async () => hub.stop());

function expectErrorShape(body: any, code: string): void {
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

test('an unknown route is a JSON 404, public or under /v1', async () => {
  const pub = await hub.call('GET', '/nope');
  expect(pub.status).toBe(404);
  expect(pub.headers.get('content-type')).toMatch(/application\/json/);
  expectErrorShape(pub.body, 'not_found');

  const v1 = await hub.call('GET', '/v1/nope', { key: tenant.key });
  expect(v1.status).toBe(404);
  expectErrorShape(v1.body, 'not_found');
});

test('malformed JSON is a 400 validation_error, never a 500', async () => {
  for (const raw of ['{bad', '{"a":', '[1,2', '\u0000', '{"a":1}}']) {
    const res = await hub.call('POST', '/v1/stops', {
      key: tenant.key,
      rawBody: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.body, 'validation_error');
  }
});

test('invalid UTF-8 in a JSON body is a 4xx', async () => {
  const res = await hub.call('POST', '/v1/stops', {
    key: tenant.key,
    rawBody: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
});

test('a body that is not JSON is a 415', async () => {
  const res = await hub.call('POST', '/v1/stops', {
    key: tenant.key,
    rawBody: 'address=Pikk+19',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(res.status).toBe(415);
  expectErrorShape(res.body, 'unsupported_media_type');

  const latin1 = await hub.call('POST', '/v1/stops', {
    key: tenant.key,
    rawBody: '{}',
    headers: { 'content-type': 'application/json; charset=latin1' },
  });
  expect(latin1.status).toBe(415);
});

test('a body over the limit is a 413', async () => {
  const res = await hub.call('POST', '/v1/stops', {
    key: tenant.key,
    rawBody: JSON.stringify({ notes: 'x'.repeat(3 * 1024 * 1024) }),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(413);
  expectErrorShape(res.body, 'payload_too_large');
});

test('a path that cannot be decoded is a 4xx in the contract shape', async () => {
  const res = await hub.call('GET', '/v1/%E0%A4%A', { key: tenant.key });
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.body.error.code).toBeDefined();
});

test('X-Request-ID is echoed when sane and generated otherwise', async () => {
  const echoed = await hub.call('GET', '/time', { headers: { 'x-request-id': 'abc-123.def' } });
  expect(echoed.headers.get('x-request-id')).toBe('abc-123.def');

  const generated = await hub.call('GET', '/time');
  expect(generated.headers.get('x-request-id')).toMatch(/^req_[0-9A-Z]{26}$/);

  const hostile = await hub.call('GET', '/time', { headers: { 'x-request-id': 'x'.repeat(500) } });
  expect(hostile.headers.get('x-request-id')).toMatch(/^req_/);

  const onError = await hub.call('GET', '/nope', { headers: { 'x-request-id': 'trace-me' } });
  expect(onError.headers.get('x-request-id')).toBe('trace-me');
});

test('no response leaks a stack trace or an HTML page', async () => {
  const responses = await Promise.all([
    hub.call('GET', '/nope'),
    hub.call('POST', '/v1/stops', { key: tenant.key, rawBody: '{', headers: { 'content-type': 'application/json' } }),
    hub.call('GET', '/v1/me'),
  ]);
  for (const res of responses) {
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.text).not.toMatch(/<html|<pre>|\bat .+\.(ts|js):\d+/i);
  }
});

test('a PATCH counts its invalid fields: one unknown field is one, two are two, an empty body says what is missing', async () => {
  const stop = await hub.call('POST', '/v1/stops', { key: tenant.key, body: { address: 'Pikk 19, 10123 Tallinn, Estonia' } });
  expect(stop.status).toBe(201);
  const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: tenant.key, body: { url: 'https://hooks.example.com/in', provider: 'standard' } });
  expect(sub.status).toBe(201);
  for (const path of [`/v1/stops/${stop.body.id}`, `/v1/webhooks/subscriptions/${sub.body.id}`]) {
    const one = await hub.call('PATCH', path, { key: tenant.key, body: { colour: 'red' } });
    expect([path, one.status]).toEqual([path, 400]);
    expect(one.body.error.message).toBe('colour: unknown field "colour"');
    expect(one.body.error.details.errors).toEqual([{ field: 'colour', value: 'red', message: 'unknown field "colour"' }]);

    const two = await hub.call('PATCH', path, { key: tenant.key, body: { colour: 'red', size: 3 } });
    expect(two.body.error.message).toBe('2 fields are invalid (first: colour: unknown field "colour")');
    expect(two.body.error.details.errors).toHaveLength(2);

    const empty = await hub.call('PATCH', path, { key: tenant.key, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toBe('(body): give at least one field to change');
  }
});
