/**
 * Issue #21: every process talks to the Temporal and Postgres its configuration names. Two
 * `npm run dev` hubs side by side, each on its own non-default ports: each answers /health with
 * its own addresses, and the workflows its stops get live in its own Temporal server only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection, WorkflowClient, WorkflowNotFoundError } from '@temporalio/client';
import { freePort } from '../dev/processes';
import { stopWorkflowId } from '../common/temporal/stop-lifecycle';
import { stopBody } from './support/fixtures';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface DevHub {
  child: ChildProcess;
  api: string;
  key: string;
  temporalPort: number;
  pgPort: number;
  output: () => string;
}

async function startDevHub(n: number): Promise<DevHub> {
  const dir = mkdtempSync(path.join(tmpdir(), `hub-dev-${n}-`));
  chmodSync(dir, 0o755);
  const [port, pgPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const key = `dh_test_${String(n).repeat(32)}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The suite's own services must not leak in: each hub finds its stack only from its ports.
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'HUB_WORKFLOW_BUNDLE']) delete env[name];
  Object.assign(env, {
    HUB_DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    HUB_PG_PORT: String(pgPort),
    HUB_TEMPORAL_PORT: String(temporalPort),
    HUB_TEMPORAL_UI_PORT: String(uiPort),
    HUB_DEV_API_KEY: key,
    LOG_LEVEL: 'warn',
  });
  const child = spawn(TSX, [path.join(ROOT, 'dev', 'run.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev hub ${n} not ready in 150 s:\n${out}`)), 150_000);
    const poll = setInterval(() => {
      if (out.includes('[dev] ready in')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`dev hub ${n} exited with ${code}:\n${out}`));
    });
  });
  return { child, api: `http://127.0.0.1:${port}`, key, temporalPort, pgPort, output: () => out };
}

async function stopDevHub(h: DevHub | undefined): Promise<void> {
  if (!h || h.child.exitCode !== null) return;
  const exited = new Promise((r) => h.child.once('exit', r));
  h.child.kill('SIGINT');
  await exited;
}

let hubs: DevHub[] = [];
beforeAll(async () => {
  hubs = await Promise.all([startDevHub(1), startDevHub(2)]);
}, 200_000);
afterAll(async () => {
  await Promise.all(hubs.map(stopDevHub));
}, 60_000);

test('two dev hubs on non-default ports each use their own Postgres and Temporal', async () => {
  for (const h of hubs) {
    const health: any = await (await fetch(`${h.api}/health`)).json();
    expect(health.status).toBe('ok');
    expect(health.checks.temporal.address).toMatch(new RegExp(`:${h.temporalPort}$`));
    expect(health.checks.postgres.address).toMatch(new RegExp(`:${h.pgPort}$`));
  }

  const clients = await Promise.all(hubs.map(async (h) => new WorkflowClient({ connection: await Connection.connect({ address: `127.0.0.1:${h.temporalPort}` }) })));
  try {
    for (const [i, h] of hubs.entries()) {
      const auth = { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' };
      const created = await fetch(`${h.api}/v1/stops`, { method: 'POST', headers: auth, body: JSON.stringify(stopBody()) });
      expect(created.status).toBe(201);
      const stop: any = await created.json();
      // A move reaches the stop's workflow at once (Update-with-Start when the starter has not yet).
      const cancelled = await fetch(`${h.api}/v1/stops/${stop.id}/cancel`, { method: 'POST', headers: auth, body: JSON.stringify({ reason: 'two hubs' }) });
      expect(cancelled.status).toBe(200);
      expect(((await cancelled.json()) as any).status).toBe('cancelled');

      const own = await clients[i]!.getHandle(stopWorkflowId(stop.id)).describe();
      expect(own.workflowId).toBe(stopWorkflowId(stop.id));
      await expect(clients[1 - i]!.getHandle(stopWorkflowId(stop.id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  } finally {
    await Promise.all(clients.map((c) => c.connection.close()));
  }
}, 120_000);
