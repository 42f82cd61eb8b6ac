/** Starts the HTTP server for an app and stops it cleanly. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { preloadGeocoder } from '../common/geocoding/at-write';
import { createApp } from './app';
import { DRAINING } from './routes/probes';
import type { ApiContext } from './context';

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApi(ctx: ApiContext, port: number, host = '0.0.0.0'): Promise<RunningApi> {
  preloadGeocoder(ctx.config.geocoderUrl);
  const app = createApp(ctx);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  // Requests Node's parser refuses before Express sees them (oversized headers, garbage) still get
  // the contract's JSON error shape.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const [status, text, code, message] = tooLarge
      ? [431, 'Request Header Fields Too Large', 'validation_error', 'request headers are too large']
      : [400, 'Bad Request', 'validation_error', 'malformed HTTP request'];
    const body = JSON.stringify({ error: { code, message, details: {} } });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  const { port: bound } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    url: `http://${shownHost}:${bound}`,
    // Draining: /readyz turns 503 so balancers stop sending, requests in flight finish, idle
    // keep-alive connections close, and new ones are refused.
    close: () =>
      new Promise<void>((resolve) => {
        app.locals[DRAINING] = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
