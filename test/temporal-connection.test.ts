/** Starting against a real cluster: the server version, a namespace not there yet, mTLS settings. */
import { loadConfig } from '../common/config';
import { checkServerVersion, connectClient, isServerVersionSupported, MIN_SERVER_VERSION, waitForNamespace } from '../common/temporal/connection';

const address = () => process.env.TEMPORAL_ADDRESS!;

test('the minimum server version is the first with Update-with-Start on by default', () => {
  expect(MIN_SERVER_VERSION).toBe('1.27.3');
  for (const v of ['1.27.3', '1.28.1', 'v1.32.0', '1.30.0-rc.1', '2.0.0']) expect([v, isServerVersionSupported(v)]).toEqual([v, true]);
  for (const v of ['1.25.2', '1.27.2', '0.31.0']) expect([v, isServerVersionSupported(v)]).toEqual([v, false]);
});

test('the dev server the tests run is new enough, and says its version', async () => {
  const client = await connectClient({ address: address(), namespace: 'default' });
  try {
    const version = await checkServerVersion(client);
    expect(version === '' || isServerVersionSupported(version)).toBe(true);
  } finally {
    await client.connection.close();
  }
});

test('a namespace that does not exist yet is waited for with a clear log line, then refused with one', async () => {
  const client = await connectClient({ address: address(), namespace: 'not-created-yet' });
  const lines: string[] = [];
  try {
    await expect(waitForNamespace(client, (m) => lines.push(m), { timeoutMs: 300, intervalMs: 100 })).rejects.toThrow(/namespace "not-created-yet" does not exist; create it/);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toContain('temporal operator namespace create --namespace not-created-yet');
    const known = await connectClient({ address: address(), namespace: 'default' });
    await expect(waitForNamespace(known, () => undefined)).resolves.toBeUndefined();
    await known.connection.close();
  } finally {
    await client.connection.close();
  }
});

test('mTLS settings: certificate and key go together; any of them turns TLS on', () => {
  expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/);
  const config = loadConfig({ TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/k.pem', TEMPORAL_TLS_CA: '/ca.pem', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
  expect(config.temporal.mtls).toEqual({ cert: '/c.pem', key: '/k.pem', ca: '/ca.pem', serverName: 'temporal.internal' });
  expect(loadConfig({}).temporal.mtls).toBeUndefined();
});
