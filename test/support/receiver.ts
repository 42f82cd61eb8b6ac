/**
 * A real HTTP receiver on loopback that records every request byte-for-byte and answers as the
 * test scripts it (fail N times, redirect, 410, slow, …).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: any;
  at: number;
}

export type Responder = (req: Received, nth: number, res: ServerResponse) => void;

export const ok: Responder = (_r, _n, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
};

export class Receiver {
  readonly received: Received[] = [];
  private responders = new Map<string, Responder>();
  private server!: Server;
  url = '';

  /** Scripts the answer for one path (default: 200). */
  on(path: string, responder: Responder): this {
    this.responders.set(path, responder);
    return this;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        let body: unknown;
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          body = undefined;
        }
        const path = (req.url ?? '/').split('?')[0]!;
        const entry: Received = { path, headers: req.headers, rawBody, body, at: Date.now() };
        this.received.push(entry);
        const nth = this.at(path).length;
        (this.responders.get(path) ?? ok)(entry, nth, res);
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async waitFor(path: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return this.at(path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Fails the first `n` requests with `status`, then answers 200. */
export const failTimes = (n: number, status = 500): Responder => (_r, nth, res) => {
  if (nth <= n) res.writeHead(status).end('not yet');
  else ok(_r, nth, res);
};
