/**
 * What an operator watches: `/metrics` on the API and on the worker's metrics port (the hub's
 * own metrics and the Temporal SDK's), liveness and readiness on both, a Grafana dashboard that
 * only queries metrics the hub exports, and a SIGTERM that drains: nothing lost, nothing twice.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startApi } from '../api/server';
import { freePortPair } from '../dev/processes';
import { startMetricsServer } from '../worker/metrics-server';
import { deleteSchedules } from '../worker/schedules';
import { createDriver, createStop, eventually, stopBody } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { Receiver } from './support/receiver';
import { spawnWorker, type HubProcess } from './support/hub-process';

let hub: TestHub;
let receiver: Receiver;
let worker: HubProcess;
let metricsPort: number;
let tenant: TestTenant;


const workerEnv = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: hub.config.databaseUrl!,
  TEMPORAL_ADDRESS: hub.config.temporal.address!,
  HUB_TASK_QUEUE: hub.config.taskQueues.lifecycle,
  HUB_WORKFLOW_BUNDLE: process.env.HUB_WORKFLOW_BUNDLE!,
  HUB_ALLOW_PRIVATE_URLS: '1',
  ...extra,
});

beforeAll(async () => {
  // Only the spawned worker runs: the tries it sends are the ones its metrics count.
  hub = await startTestHub({ worker: false });
  receiver = await new Receiver().start();
  metricsPort = await freePortPair();
  worker = await spawnWorker(workerEnv({ HUB_METRICS_PORT: String(metricsPort) }));
  tenant = await hub.tenant();
}, 120_000);
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await deleteSchedules(hub.temporal, hub.config.taskQueues);
  await hub.stop();
  await receiver.stop();
});

/** Metric names a Prometheus text exposition defines (histograms as their _bucket/_sum/_count series too). */
function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram' || type[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(`${type[1]}${s}`);
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample && !line.startsWith('#')) names.add(sample[1]!);
  }
  return names;
}

const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
};

const workerGet = (p: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${metricsPort}${p}`, { headers });

test('the API answers /livez, /readyz and /metrics: requests by route and status, stops by status, rate-limit rejections', async () => {
  expect((await hub.call('GET', '/livez')).body).toEqual({ status: 'ok' });
  const ready = await hub.call('GET', '/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body.checks.postgres.status).toBe('up');

  await createStop(hub, tenant.key);
  const limited = await hub.tenant(undefined, { rateLimitPerMinute: 1 });
  await hub.call('GET', '/v1/stops', { key: limited.key });
  expect((await hub.call('GET', '/v1/stops', { key: limited.key })).status).toBe(429);

  const res = await fetch(`${hub.url}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(value(text, 'dispatch_hub_http_requests_total{api="v1",method="POST",route="/v1/stops",status="201"}')).toBeGreaterThanOrEqual(1);
  expect(text).toContain('dispatch_hub_http_request_duration_seconds_bucket{le="0.005",api="v1",method="POST",route="/v1/stops",status="201"}');
  expect(value(text, 'dispatch_hub_rate_limit_rejections_total{api="v1"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'dispatch_hub_stops{status="pending"}')).toBeGreaterThanOrEqual(1);
  // A route is labelled by its pattern, never by an id.
  await hub.call('GET', '/v1/stops/stop_01ARZ3NDEKTSV4RRFFQ69G5FAV', { key: tenant.key });
  const after = await (await fetch(`${hub.url}/metrics`)).text();
  expect(after).toContain('route="/v1/stops/:id",status="404"');
  expect(after).not.toContain('stop_01ARZ3NDEKTSV4RRFFQ69G5FAV');
});

test('the worker\'s metrics port: tries and deliveries by provider and outcome, try duration, the SDK\'s own worker metrics; /livez and /readyz', async () => {
  receiver.on('/obs-fail', (_r, _n, res) => res.writeHead(503).end());
  await hub.call('POST', '/v1/webhooks/subscriptions', { key: tenant.key, body: { url: `${receiver.url}/obs-ok`, provider: 'zippex', events: ['delivery.created'] } });
  await hub.call('POST', '/v1/webhooks/subscriptions', { key: tenant.key, body: { url: `${receiver.url}/obs-fail`, provider: 'naveera', events: ['trip.created'], retry_schedule: [3600] } });
  const stop = await createStop(hub, tenant.key);
  // Two moves: the second finds the stop's workflow in the worker's cache (a sticky cache hit).
  expect((await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: tenant.key, body: { driver_id: (await createDriver(hub, tenant.key)).id } })).status).toBe(200);
  expect((await hub.call('POST', `/v1/stops/${stop.id}/cancel`, { key: tenant.key, body: { reason: 'metrics' } })).status).toBe(200);
  await receiver.waitFor('/obs-ok', 1);
  await receiver.waitFor('/obs-fail', 1);

  const text = await eventually(
    async () => (await workerGet('/metrics')).text(),
    (t) => value(t, 'dispatch_hub_webhook_tries_total{provider="naveera",outcome="retrying"}') >= 1 && value(t, 'dispatch_hub_webhook_deliveries_waiting_retry') >= 1,
  );
  expect(value(text, 'dispatch_hub_webhook_tries_total{provider="zippex",outcome="succeeded"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'dispatch_hub_webhook_deliveries_total{provider="zippex",outcome="succeeded"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'dispatch_hub_webhook_try_duration_seconds_count{provider="zippex"}')).toBeGreaterThanOrEqual(1);
  expect(text).toContain('dispatch_hub_outbox_lag_seconds');
  // The SDK's own metrics, appended from its exporter on loopback.
  expect(text).toMatch(/^temporal_\w+/m);
  // The workflow cache, sized per lane (worker/worker.ts): its size, and its hits and misses.
  expect(value(text, `temporal_sticky_cache_size{namespace="default",service_name="temporal-core-sdk",task_queue="${hub.config.taskQueues.lifecycle}"}`)).toBeGreaterThanOrEqual(0);
  expect(text).toMatch(/^temporal_sticky_cache_hit_total\{[^}]*\} [1-9]/m);
  expect(text).toContain('dispatch_hub_process_resident_memory_bytes');

  expect(await (await workerGet('/livez')).json()).toEqual({ status: 'ok' });
  expect((await workerGet('/readyz')).status).toBe(200);
  expect((await workerGet('/nothing')).status).toBe(404);
});

test('with a metrics token, /metrics answers only requests bearing it', async () => {
  const probes = await startMetricsServer({ db: hub.db, port: 0, host: '127.0.0.1', token: 'a-long-metrics-token-0123' });
  try {
    const at = (headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${probes.port}/metrics`, { headers });
    expect((await at()).status).toBe(401);
    expect((await at({ authorization: 'Bearer wrong-token-of-some-size' })).status).toBe(401);
    expect((await at({ authorization: 'Bearer a-long-metrics-token-0123' })).status).toBe(200);
    probes.draining();
    expect((await fetch(`http://127.0.0.1:${probes.port}/readyz`)).status).toBe(503);
  } finally {
    await probes.close();
  }
});

test('every metric the Grafana dashboard queries is one the API or the worker exports', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', 'ops', 'grafana', 'dashboards', 'dispatch-hub.json'), 'utf8'));
  const exprs: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
  expect(exprs.length).toBeGreaterThan(10);
  // Identifiers that are metrics (not functions, label names or keywords).
  const queried = new Set(exprs.flatMap((e) => [...e.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').matchAll(/\b(dispatch_hub_\w+|temporal_\w+)\b/g)].map((m) => m[1]!)));
  const exported = new Set([...metricNames(await (await fetch(`${hub.url}/metrics`)).text()), ...metricNames(await (await workerGet('/metrics')).text())]);
  expect([...queried].filter((m) => !exported.has(m))).toEqual([]);
  expect([...queried].some((m) => m.startsWith('temporal_'))).toBe(true);
});

test('SIGTERM mid-burst drains: every try in flight is finished and recorded, nothing is lost or sent twice', async () => {
  const t = await hub.tenant();
  // Each answer takes 400 ms, so the burst is still in flight when the signal comes.
  receiver.on('/obs-drain', (_r, _n, res) => setTimeout(() => res.writeHead(200).end('ok'), 400));
  await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}/obs-drain`, events: ['stop.created'] } });
  const draining = await spawnWorker(workerEnv());
  await worker.kill('SIGTERM'); // the suite's worker goes first; the new one takes the burst
  const stops = await Promise.all(Array.from({ length: 12 }, () => createStop(hub, t.key)));
  await eventually(async () => receiver.at('/obs-drain').length, (n) => n >= 1, 10_000);
  await draining.kill('SIGTERM');
  // Whatever was sent before the exit was recorded: no delivery is left leased to the dead worker.
  const leased = await hub.db.selectFrom('webhook_deliveries').select('id').where('tenant_id', '=', t.tenantId).where('lease_until', 'is not', null).execute();
  expect(leased).toEqual([]);
  worker = await spawnWorker(workerEnv({ HUB_METRICS_PORT: String(metricsPort) }));
  const ids = await eventually(
    async () => receiver.at('/obs-drain').map((r) => r.headers['webhook-id'] as string),
    (got) => new Set(got).size >= stops.length,
    60_000,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const all = receiver.at('/obs-drain').map((r) => r.headers['webhook-id'] as string);
  expect(new Set(ids).size).toBe(stops.length);
  expect(all).toHaveLength(stops.length); // no duplicate
  const deliveries = await hub.db.selectFrom('webhook_deliveries').select(['status', 'attempt_count']).where('tenant_id', '=', t.tenantId).execute();
  expect(deliveries.map((d) => [d.status, d.attempt_count])).toEqual(stops.map(() => ['succeeded', 1]));
}, 120_000);

test('an API told to stop mid-burst answers every request it took, says it is not ready, and takes no new connection', async () => {
  const t = await hub.tenant();
  const api = await startApi(hub.apiContext, 0, '127.0.0.1');
  const post = () =>
    fetch(`${api.url}/v1/stops`, { method: 'POST', headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(stopBody()) });
  const burst = Array.from({ length: 10 }, post);
  await new Promise((r) => setTimeout(r, 20)); // the requests are on their way
  const ready = fetch(`${api.url}/readyz`, { headers: { connection: 'close' } }).then((r) => r.status);
  const closing = api.close();
  const answers = await Promise.allSettled(burst);
  await closing;
  // Every request that reached the server was answered; none was cut off half-done.
  const statuses = answers.map((a) => (a.status === 'fulfilled' ? a.value.status : 'not sent'));
  expect(statuses.every((s) => s === 201 || s === 'not sent')).toBe(true);
  expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
  const stored = await hub.db.selectFrom('stops').select('id').where('tenant_id', '=', t.tenantId).execute();
  expect(stored).toHaveLength(statuses.filter((s) => s === 201).length);
  expect([200, 503]).toContain(await ready.catch(() => 503));
  await expect(fetch(`${api.url}/livez`)).rejects.toThrow();
});
