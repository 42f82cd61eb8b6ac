/**
 * The receiving end for measurements: verifies every Standard Webhooks signature, counts each
 * (message, subscription) once and notes how long after the event's commit it arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyStandard } from '../../common/webhooks/verify';

export class CountingReceiver {
  private server!: Server;
  url = '';
  /** `${path} ${webhook-id}` → times seen. */
  readonly seen = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  badSignatures = 0;
  down = false;
  private secrets = new Map<string, string>();

  setSecret(path: string, secret: string): void {
    this.secrets.set(path, secret);
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
        if (this.down) {
          res.writeHead(503).end();
          return;
        }
        const arrived = Date.now();
        const body = Buffer.concat(chunks);
        const path = req.url ?? '/';
        const secret = this.secrets.get(path);
        const h = req.headers as Record<string, string>;
        if (!secret || !verifyStandard(body, h, secret)) {
          this.badSignatures++;
          res.writeHead(400).end();
          return;
        }
        const key = `${path} ${h['webhook-id']}`;
        this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
        const ts = (JSON.parse(body.toString()) as { timestamp?: string }).timestamp;
        if (ts) this.latenciesMs.push(arrived - Date.parse(ts));
        res.writeHead(200).end();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  reset(): void {
    this.seen.clear();
    this.latenciesMs.length = 0;
    this.badSignatures = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
