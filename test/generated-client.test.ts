/**
 * The OpenAPI document tells the truth: a TypeScript client generated from it at test time
 * (openapi-typescript for the types, openapi-fetch to call) compiles under `strict` and drives
 * one stop's whole life and one subscription against the real hub.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ulid } from '../common/ids';
import { startTestHub, type TestHub } from './support/hub';
import { Receiver } from './support/receiver';

const ROOT = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
/** Asynchronously: the hub answering these tools runs in this very process. */
async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { encoding: 'utf8', env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

let hub: TestHub;
let receiver: Receiver;
let dir: string;
beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  // Inside the project, so the script resolves openapi-fetch from its node_modules.
  dir = path.join(ROOT, 'test-results', `generated-client-${ulid()}`);
  mkdirSync(dir, { recursive: true });
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

const DRIVE = `
import createClient from 'openapi-fetch';
import type { paths } from './v1.js';

const client = createClient<paths>({ baseUrl: process.env.HUB_URL!, headers: { authorization: \`Bearer \${process.env.HUB_KEY}\` } });
const must = <T>(r: { data?: T; error?: unknown; response: Response }): T => {
  if (r.data === undefined) throw new Error(\`\${r.response.status} \${JSON.stringify(r.error)}\`);
  return r.data;
};

const sub = must(await client.POST('/v1/webhooks/subscriptions', { body: { url: process.env.RECEIVER_URL!, provider: 'zippex', events: ['delivery.created', 'delivery.delivered'] } }));
const driver = must(await client.POST('/v1/drivers', { body: { name: 'Generated' } }));
must(await client.POST('/v1/drivers/{id}/online', { params: { path: { id: driver.id } } }));
const stop = must(await client.POST('/v1/stops', { body: { address: 'Pikk 19, Tallinn, Estonia', customer_name: 'Mia', fee: 1249, currency: 'EUR' } }));
const id = { params: { path: { id: stop.id } } };
must(await client.POST('/v1/stops/{id}/assign', { ...id, body: { driver_id: driver.id } }));
must(await client.POST('/v1/stops/{id}/pick-up', id));
must(await client.POST('/v1/stops/{id}/depart', id));
const done = must(await client.POST('/v1/stops/{id}/complete', { ...id, body: { notes: 'left at the door' } }));
const refused = await client.POST('/v1/stops/{id}/cancel', id);
const rotated = must(await client.POST('/v1/webhooks/subscriptions/{id}/rotate-secret', { params: { path: { id: sub.id } } }));
const deliveries = must(await client.GET('/v1/webhooks/deliveries', { params: { query: { subscription_id: sub.id } } }));
console.log(JSON.stringify({ status: done.status, fee: done.fee, refused: refused.response.status, refusedCode: refused.error?.error.code, zippexOverlap: rotated.previous_secret_expires_at !== null, deliveries: deliveries.total }));
`;

test('a client generated from /v1/openapi.json compiles and drives a stop and a subscription', async () => {
  const t = await hub.tenant();
  const gen = await run(bin('openapi-typescript'), [`${hub.url}/v1/openapi.json`, '-o', path.join(dir, 'v1.d.ts')]);
  expect([gen.code, gen.stderr.includes('rror') ? gen.stderr.slice(-500) : '']).toEqual([0, '']);
  writeFileSync(path.join(dir, 'drive.ts'), DRIVE);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], skipLibCheck: false }, files: ['drive.ts'] }),
  );
  const tsc = await run(bin('tsc'), ['-p', dir]);
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.code).toBe(0);

  const drive = await run(bin('tsx'), [path.join(dir, 'drive.ts')], { ...process.env, HUB_URL: hub.url, HUB_KEY: t.key, RECEIVER_URL: `${receiver.url}/generated` });
  expect(drive.stderr).toBe('');
  const out = JSON.parse(drive.stdout.trim().split('\n').pop()!);
  expect(out).toMatchObject({ status: 'completed', fee: 1249, refused: 409, refusedCode: 'conflict', zippexOverlap: true });
  await receiver.waitFor('/generated', 2);
  expect(receiver.at('/generated').map((r) => r.body.type).sort()).toEqual(['delivery.created', 'delivery.delivered']);
}, 120_000);
