/**
 * The receiving end for measurements: verifies every Standard Webhooks signature, counts each
 * (message, subscription) once and notes how long after the event's commit it arrived. Paths
 * marked as black holes never answer (their sockets are held until `release()`); failing paths
 * answer their status (after a delay, for a receiver that drips).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyStandard } from '../../common/dialects/verify';

export class CountingReceiver {
  private server!: Server;
  url = '';
  /** `${path} ${webhook-id}` → times seen. */
  readonly seen = new Map<string, number>();
  /** Commit → arrival, per path. */
  readonly latencies: { path: string; ms: number }[] = [];
  badSignatures = 0;
  down = false;
  readonly blackHoles = new Set<string>();
  /** Path → the failure it answers with, unsigned requests and all. */
  readonly failing = new Map<string, { status: number; afterMs?: number; headers?: Record<string, string> }>();
  /** Requests the failing paths and black holes got. */
  failedAnswers = 0;
  private held: ServerResponse[] = [];
  private secrets = new Map<string, string>();

  setSecret(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  get latenciesMs(): number[] {
    return this.latencies.map((l) => l.ms);
  }

  latenciesOf(path: string): number[] {
    return this.latencies.filter((l) => l.path === path).map((l) => l.ms);
  }

  get deliveries(): number {
    let n = 0;
    for (const c of this.seen.values()) n += c;
    return n;
  }

  get duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) n += Math.max(0, c - 1);
    return n;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        if (this.blackHoles.has(path)) {
          this.failedAnswers++;
          this.held.push(res);
          return;
        }
        const failure = this.failing.get(path);
        if (failure) {
          this.failedAnswers++;
          const answer = () => res.writeHead(failure.status, failure.headers).end('no');
          if (failure.afterMs) setTimeout(answer, failure.afterMs);
          else answer();
          return;
        }
        if (this.down) {
          res.writeHead(503).end();
          return;
        }
        const arrived = Date.now();
        const body = Buffer.concat(chunks);
        const secret = this.secrets.get(path);
        const h = req.headers as Record<string, string>;
        if (!secret || !verifyStandard(body, h, secret)) {
          this.badSignatures++;
          res.writeHead(400).end();
          return;
        }
        const key = `${path} ${h['webhook-id']}`;
        this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
        const { timestamp } = JSON.parse(body.toString()) as { timestamp?: string };
        if (timestamp) this.latencies.push({ path, ms: arrived - Date.parse(timestamp) });
        res.writeHead(200).end();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Drops every request a black hole is holding. */
  release(): void {
    for (const res of this.held) res.destroy();
    this.held = [];
  }

  reset(): void {
    this.seen.clear();
    this.latencies.length = 0;
    this.badSignatures = 0;
    this.failedAnswers = 0;
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
