/**
 * The EasyRoutes seed's own Go endpoint (test/seed-receivers/easyroutes, the seed's code with
 * `Payload json.RawMessage` and its secret and port from the environment) receives a stop's
 * events from the hub: it verifies each signature as the seed does, parses the event, and
 * answers 200. The seed's code as written (`Payload []byte`) answers 400 to the same request.
 * Go is part of this machine kind: without it the test fails, it does not skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDriver, createStop, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';

const SOURCE = path.join(__dirname, 'seed-receivers', 'easyroutes');

let hub: TestHub;
let tenant: TestTenant;
let buildDir: string;
const running: GoReceiver[] = [];

interface GoReceiver {
  child: ChildProcess;
  url: string;
  log: () => string;
}

/** `go build` of a directory holding main.go and go.mod; a missing `go` is a clear failure. */
function goBuild(dir: string, out: string): void {
  const res = spawnSync('go', ['build', '-o', out, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (res.error) throw new Error(`cannot run \`go\` (${res.error.message}): Go is required on this machine kind to run the EasyRoutes seed's receiver`);
  if (res.status !== 0) throw new Error(`go build in ${dir} failed:\n${res.stderr}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const accepting = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Starts a built receiver on this loopback port with this secret; resolves once it listens. */
async function startReceiver(binary: string, secret: string, port: number): Promise<GoReceiver> {
  let log = '';
  const child = spawn(binary, [], { env: { ...process.env, EASYROUTES_SECRET: secret, EASYROUTES_ADDR: `127.0.0.1:${port}` } });
  child.stdout!.on('data', (c) => (log += c));
  child.stderr!.on('data', (c) => (log += c));
  const receiver = { child, url: `http://127.0.0.1:${port}/webhook`, log: () => log };
  running.push(receiver);
  const up = await eventually(() => accepting(port), (ok) => ok || child.exitCode !== null, 10_000);
  if (!up) throw new Error(`the Go receiver did not start listening on ${port}: ${log}`);
  return receiver;
}

/** The events the Go receiver logged as accepted (its one added log line per event). */
const acceptedBy = (r: GoReceiver): any[] =>
  r
    .log()
    .split('\n')
    .filter((line) => line.includes('{"accepted":'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{"accepted":'))).accepted);

/** The receiver's log, once it shows this (its stderr may lag the HTTP answer a little). */
const logOnce = async (r: GoReceiver, re: RegExp): Promise<string> => eventually(async () => r.log(), (l) => re.test(l), 5_000);

beforeAll(async () => {
  buildDir = mkdtempSync(path.join(tmpdir(), 'easyroutes-seed-'));
  goBuild(SOURCE, path.join(buildDir, 'fixed'));
  // The seed's code as the seed wrote it: only the Payload type differs from the fixed copy.
  const asWritten = path.join(buildDir, 'as-written');
  mkdirSync(asWritten);
  copyFileSync(path.join(SOURCE, 'go.mod'), path.join(asWritten, 'go.mod'));
  const main = readFileSync(path.join(SOURCE, 'main.go'), 'utf8');
  expect(main).toContain('Payload json.RawMessage `json:"payload,omitempty"`');
  writeFileSync(path.join(asWritten, 'main.go'), main.replace('Payload json.RawMessage `json:"payload,omitempty"`', 'Payload []byte `json:"payload,omitempty"`'));
  goBuild(asWritten, path.join(buildDir, 'as-written-bin'));

  hub = await startTestHub();
  tenant = await hub.tenant();
}, 180_000);

afterAll(async () => {
  for (const r of running) r.child.kill('SIGTERM');
  await hub?.stop();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

test('the seed\'s Go endpoint (Payload json.RawMessage) accepts every delivery of a moving stop, signature checked, payload parsed', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/webhook`;
  const created = await hub.call('POST', '/v1/webhooks/subscriptions', { key: tenant.key, body: { url, provider: 'easyroutes', events: ['*'] } });
  expect(created.status).toBe(201);
  const secret: string = created.body.secret;

  // Started on the port the subscription names (picked free just above), with its secret.
  const go = await startReceiver(path.join(buildDir, 'fixed'), secret, port);

  const driver = await createDriver(hub, tenant.key);
  const stop = await createStop(hub, tenant.key);
  for (const [action, body] of [['assign', { driver_id: driver.id }], ['pick-up']] as const) {
    expect((await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: tenant.key, body })).status).toBe(200);
  }

  // Created (PENDING), assigned (READY), picked up (OUT_FOR_DELIVERY): three deliveries.
  const list = async () => (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${created.body.id}`, { key: tenant.key })).body.items as any[];
  const deliveries = await eventually(list, (items) => items.length === 3 && items.every((d) => d.status !== 'pending' && d.status !== 'retrying' && d.attempt_count > 0), 30_000);
  expect(deliveries.map((d) => [d.status, d.response_status, d.attempt_count])).toEqual([
    ['succeeded', 200, 1],
    ['succeeded', 200, 1],
    ['succeeded', 200, 1],
  ]);

  // What the Go program parsed is what the hub sent, payload included.
  const sent = await Promise.all(
    deliveries.map(async (d) => {
      const detail = await hub.call('GET', `/v1/webhooks/deliveries/${d.id}`, { key: tenant.key });
      return detail.body.attempts[0].request as { headers: Record<string, string>; body: string };
    }),
  );
  const accepted = await eventually(async () => acceptedBy(go), (a) => a.length === 3, 5_000);
  const byId = new Map(accepted.map((e) => [e.eventId, e]));
  for (const req of sent) {
    const body = JSON.parse(req.body);
    expect(byId.get(body.eventId)).toEqual(body);
    expect(body.payload).toMatchObject({ id: stop.id });
  }
  expect(accepted.map((e) => e.payload.status).sort()).toEqual(['OUT_FOR_DELIVERY', 'PENDING', 'READY']);
  expect(go.log()).not.toMatch(/signature mismatch|error parsing/);

  // It does check the signature, as the seed does: another stop id in the same body is a 400.
  const [first] = sent;
  // A different last character: a fixed one would be a no-op for ids that already end in it.
  const otherId = `${stop.id.slice(0, -1)}${stop.id.endsWith('X') ? 'Y' : 'X'}`;
  const sigHeader = Object.keys(first!.headers).find((k) => k.toLowerCase() === 'x-easyroutes-hmac-sha256')!;
  const post = (target: string, body: string, headers: Record<string, string>) =>
    fetch(target, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.status);
  expect(await post(url, first!.body, { [sigHeader]: first!.headers[sigHeader]! })).toBe(200);
  expect(await post(url, first!.body.replaceAll(stop.id, otherId), { [sigHeader]: first!.headers[sigHeader]! })).toBe(400);
  expect(await post(url, first!.body, {})).toBe(400);
  expect(await logOnce(go, /signature mismatch/)).toMatch(/signature mismatch/);
  expect(await logOnce(go, /missing signature header/)).toMatch(/missing signature header/);

  // The seed's code as written answers 400 to the very request the fixed one accepted.
  const asWritten = await startReceiver(path.join(buildDir, 'as-written-bin'), secret, await freePort());
  expect(await post(asWritten.url, first!.body, { [sigHeader]: first!.headers[sigHeader]! })).toBe(400);
  const unmarshal = /error parsing webhook body: json: cannot unmarshal object into Go struct field Event\.payload of type \[\]uint8/;
  expect(await logOnce(asWritten, unmarshal)).toMatch(unmarshal);
}, 90_000);
