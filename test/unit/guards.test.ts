/** Where a webhook may go, what a cursor may be, what a request may carry: the pure guards. */
import { decodeCursor, encodeCursor, page } from '../../api/pagination';
import { findUnsafeInput, MAX_DEPTH } from '../../api/middleware/input-guard';
import { checkUrlShape, isPublicAddress, UrlPolicyError } from '../../common/subscriptions/url-policy';
import { ApiError } from '../../api/errors';

describe('public addresses only (SSRF forms)', () => {
  test.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '255.255.255.255', '224.0.0.1', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1',
    '::ffff:10.0.0.1', '::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', '2001::1', 'ff02::1', 'not-an-ip',
  ])('%s is refused', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  test.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('URL shape', () => {
  const strict = { allowPrivate: false, extraPorts: [8443] };
  test.each([
    ['http://example.com/hook', 'https'],
    ['ftp://example.com/hook', 'https'],
    ['https://user:pass@example.com/hook', 'credentials'],
    ['https://example.com:22/hook', 'port 22'],
    ['not a url', 'not a valid URL'],
  ])('%s is refused (%s)', (url, why) => {
    expect(() => checkUrlShape(url, strict)).toThrow(UrlPolicyError);
    expect(() => checkUrlShape(url, strict)).toThrow(why);
  });

  test.each(['https://example.com/hook', 'https://example.com:443/x', 'https://example.com:8443/x'])('%s passes', (url) => {
    expect(checkUrlShape(url, strict).hostname).toBe('example.com');
  });

  test('development may use http and any port', () => {
    expect(checkUrlShape('http://127.0.0.1:9999/x', { allowPrivate: true, extraPorts: [] }).port).toBe('9999');
  });

  test.each([
    ['https://0x7f000001/', '127.0.0.1'],
    ['https://2130706433/', '127.0.0.1'],
    ['https://0177.0.0.1/', '127.0.0.1'],
    ['https://[::ffff:7f00:1]/', '[::ffff:7f00:1]'],
  ])('%s is normalised to %s, which the address check refuses', (url, host) => {
    const parsed = checkUrlShape(url, strict);
    expect(parsed.hostname).toBe(host);
    expect(isPublicAddress(parsed.hostname.replace(/^\[|\]$/g, ''))).toBe(false);
  });
});

describe('cursors', () => {
  const id = 'stop_01JABCDEFGHJKMNPQRSTVWXYZ0';
  test('round-trip', () => {
    expect(decodeCursor(encodeCursor(id), 'stop')).toBe(id);
    expect(decodeCursor(undefined, 'stop')).toBeUndefined();
  });

  test.each(['', 'garbage', encodeCursor('drv_01JABCDEFGHJKMNPQRSTVWXYZ0'), encodeCursor("stop_' or 1=1 --"), encodeCursor(`${id}x`)])('%j is a 400', (cursor) => {
    expect(() => decodeCursor(cursor, 'stop')).toThrow(ApiError);
  });

  test('a page says where the next starts only when there is one', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(page(rows, 2)).toEqual({ data: [{ id: 'a' }, { id: 'b' }], next_cursor: encodeCursor('b') });
    expect(page(rows, 3)).toEqual({ data: rows, next_cursor: null });
  });
});

describe('input guard', () => {
  test.each([
    [{ a: 'x\u0000y' }, 'a', 'NUL'],
    [{ notes: 'half \ud800 pair' }, 'notes', 'surrogate'],
    [{ list: ['ok', { deep: 'bad\u0000' }] }, 'list.1.deep', 'NUL'],
    [{ ['k\u0000']: 1 }, '(key)', 'key'],
  ])('%j: %s is refused', (value, field, problem) => {
    const found = findUnsafeInput(value)!;
    expect(found.field).toBe(field);
    expect(found.problem).toContain(problem);
  });

  test('nesting past the limit is refused without recursing', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(findUnsafeInput(deep)?.problem).toBe(`nests deeper than ${MAX_DEPTH} levels`);
  });

  test.each([[{ address: 'Pikk 19, Tallinn', notes: 'ring twice 🔔', n: 1, ok: true, none: null }], [[1, 2, 3]], ['plain']])('%j passes', (value) => {
    expect(findUnsafeInput(value)).toBeNull();
  });
});
