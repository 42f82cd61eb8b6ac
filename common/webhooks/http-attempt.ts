/**
 * One HTTP try of one delivery: a single POST with the dialect's timeout, no redirects followed,
 * through a keep-alive pool whose connect step refuses private addresses.
 */
import { Agent, request } from 'undici';
import { assertLiteralAllowed, checkUrlShape, guardedLookup } from './url-policy';

export const RESPONSE_CAPTURE_BYTES = 4096;

export interface AttemptOutcome {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  responseTruncated: boolean;
  retryAfterSeconds: number | null;
}

const agents = new Map<boolean, Agent>();

function agentFor(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) {
    agent = new Agent({
      connect: { lookup: guardedLookup(allowPrivate) as never, timeout: 10_000 },
      keepAliveTimeout: 30_000,
      connections: 64,
      pipelining: 1,
    });
    agents.set(allowPrivate, agent);
  }
  return agent;
}

/** `Retry-After` as seconds: a number, or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number.parseInt(v.trim(), 10);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export async function postOnce(opts: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const url = checkUrlShape(opts.url, opts.allowPrivate);
    assertLiteralAllowed(url, opts.allowPrivate);
    const res = await request(url, {
      method: 'POST',
      body: opts.body,
      headers: { 'content-type': 'application/json', 'user-agent': 'DispatchHub-Webhooks/1.0', ...opts.headers },
      dispatcher: agentFor(opts.allowPrivate),
      // undici's request never follows redirects: a 3xx comes back as a failed try.
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    // Keep only the first 4 KB of the answer; drop the rest without reading it all.
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > RESPONSE_CAPTURE_BYTES) {
        chunks.push(buf.subarray(0, RESPONSE_CAPTURE_BYTES - size));
        truncated = true;
        res.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    return {
      statusCode: res.statusCode,
      durationMs: elapsed(),
      error: null,
      responseBody: Buffer.concat(chunks).toString('utf8'),
      responseTruncated: truncated,
      retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
    };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${opts.timeoutMs} ms` : e.cause?.message ?? e.message;
    return { statusCode: null, durationMs: elapsed(), error: reason.slice(0, 500), responseBody: null, responseTruncated: false, retryAfterSeconds: null };
  }
}
