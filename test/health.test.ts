import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../dev/processes';
import { startTestHub, type TestHub } from './support/hub';
import { startStackProcess } from './support/stack-process';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ worker: false });
});
afterAll(async () => hub.stop());

test('GET /health reports both dependencies with their latency', async () => {
  const res = await hub.call('GET', '/health');
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('ok');
  for (const dep of ['postgres', 'temporal']) {
    expect(res.body.checks[dep].status).toBe('up');
    expect(res.body.checks[dep].latency_ms).toBeGreaterThanOrEqual(0);
  }
});

test('GET /time and GET /changelog answer without auth', async () => {
  const time = await hub.call('GET', '/time');
  expect(time.status).toBe(200);
  expect(Math.abs(Date.parse(time.body.now) - Date.now())).toBeLessThan(5_000);
  expect(time.body.unix).toBe(Math.floor(time.body.unix_ms / 1000));

  const log = await hub.call('GET', '/changelog');
  expect(log.status).toBe(200);
  expect(log.body.versions.length).toBeGreaterThan(0);
  expect(log.body.current_version).toBe(log.body.versions[0].version);
});

test('a stopped Postgres makes /health 503 and the API recovers when it is back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-health-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  let pg = await startStackProcess(['--data-dir', dir, '--pg-port', String(port)]);
  const own = await startTestHub({ worker: false, env: { DATABASE_URL: pg.databaseUrl } });
  try {
    expect((await own.call('GET', '/health')).status).toBe(200);

    await pg.stop();
    const down = await own.call('GET', '/health');
    expect(down.status).toBe(503);
    expect(down.body.checks.postgres.status).toBe('down');
    expect(down.body.checks.temporal.status).toBe('up');
    expect(down.text).not.toContain('hub-dev-only');
    // The process is still serving.
    expect((await own.call('GET', '/time')).status).toBe(200);
    const authed = await own.call('GET', '/v1/me', { key: 'dh_test_' + 'A'.repeat(32) });
    expect(authed.status).toBe(503);
    expect(authed.body.error.code).toBe('service_unavailable');
    expect(authed.headers.get('retry-after')).toBeTruthy();

    pg = await startStackProcess(['--data-dir', dir, '--pg-port', String(port)]);
    let healthy = 0;
    for (let i = 0; i < 50 && healthy !== 200; i++) {
      healthy = (await own.call('GET', '/health')).status;
      if (healthy !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy).toBe(200);
  } finally {
    await own.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
