/**
 * The worker's small HTTP port (`HUB_METRICS_PORT`): `/metrics` (the hub's metrics followed by
 * the Temporal SDK's own, which the SDK serves on loopback one port above), `/livez` and
 * `/readyz` (503 once draining, or while Postgres is unreachable).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Db } from '../common/db/connect';
import { metricsAllowed } from '../common/metrics/bearer';
import { METRICS_CONTENT_TYPE, metricsText } from '../common/metrics/state-gauges';

/** Where the SDK's Prometheus exporter listens, for a worker metrics port. */
export const sdkMetricsAddress = (port: number): string => `127.0.0.1:${port + 1}`;

export interface MetricsServer {
  port: number;
  /** From now on /readyz answers 503. */
  draining(): void;
  close(): Promise<void>;
}

async function sdkMetrics(address: string | undefined): Promise<string> {
  if (!address) return '';
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : '';
  } catch {
    return ''; // the SDK's exporter is not up (yet): the hub's own metrics still answer
  }
}

export async function startMetricsServer(opts: { db: Db; port: number; host?: string; token?: string; sdkAddress?: string }): Promise<MetricsServer> {
  let draining = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: { code: 'method_not_allowed', message: 'GET only', details: {} } }));
    if (path === '/livez') return send(200, '{"status":"ok"}');
    if (path === '/readyz') {
      if (draining) return send(503, '{"status":"draining"}');
      sql`select 1`
        .execute(opts.db)
        .then(() => send(200, '{"status":"ready"}'))
        .catch(() => send(503, '{"status":"unavailable","checks":{"postgres":"down"}}'));
      return;
    }
    if (path === '/metrics') {
      if (!metricsAllowed(req.headers.authorization, opts.token)) return send(401, JSON.stringify({ error: { code: 'unauthorized', message: 'this endpoint needs the metrics token', details: {} } }));
      Promise.all([metricsText(opts.db), sdkMetrics(opts.sdkAddress)])
        .then(([hub, sdk]) => send(200, sdk ? `${hub}\n${sdk}` : hub, METRICS_CONTENT_TYPE))
        .catch(() => send(503, '{"status":"unavailable"}'));
      return;
    }
    send(404, JSON.stringify({ error: { code: 'not_found', message: 'no such endpoint', details: {} } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    draining: () => {
      draining = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
