/**
 * One HTTP try of one delivery: a single POST with the dialect's timeout, no redirects followed,
 * through a keep-alive pool whose connect step refuses private addresses. Whatever comes back is
 * turned into something storable: the first 4 KB of the answer as text (invalid UTF-8 and NUL
 * become U+FFFD), and an error in words that never tell a refused port from a filtered one.
 */
import { Agent, errors as undiciErrors, request } from 'undici';
import { assertLiteralAllowed, checkUrlShape, guardedLookup, UrlPolicyError, type UrlPolicy } from '../subscriptions/url-policy';

export const RESPONSE_CAPTURE_BYTES = 4096;
/** Below every dialect's timeout (5 s at least), so a filtered port fails as a refused one does. */
const CONNECT_TIMEOUT_MS = 4_000;

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
      connect: { lookup: guardedLookup(allowPrivate) as never, timeout: CONNECT_TIMEOUT_MS },
      keepAliveTimeout: 30_000,
      // No cap per host: the delivery queue already bounds what is in flight (per subscription
      // and per worker). A cap here is shared by every subscription to the host, so one tenant's
      // hanging receivers would make everyone else's tries to that host queue behind them.
      connections: null,
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
  if (/^\d{1,10}$/.test(v.trim())) return Number.parseInt(v.trim(), 10);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Bytes as text Postgres can store: invalid UTF-8 and NUL become U+FFFD. */
export function storableText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\u0000/g, '\uFFFD');
}

const CONNECT_FAILED = 'could not connect to the endpoint';

/** The words a failed try is recorded with. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  if (err instanceof UrlPolicyError) return e.message;
  const code = e.code ?? e.cause?.code;
  if (code === 'EHUBPRIVATE') return 'refused: the host resolves to a non-public address';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return 'the host name did not resolve';
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (err instanceof undiciErrors.ConnectTimeoutError || e.cause instanceof undiciErrors.ConnectTimeoutError) return CONNECT_FAILED;
  if (code && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ECONNRESET|EPIPE|ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|UND_ERR_CONNECT)/.test(code)) {
    return CONNECT_FAILED;
  }
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'the connection closed before an answer';
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return 'the answer\'s headers were too large';
  return 'the request failed before an answer';
}

export interface PostInput {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  policy: UrlPolicy;
}

export async function postOnce(opts: PostInput): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  // A plain timer and controller: AbortSignal.timeout() cost ~30 µs a request (its weak
  // references), a visible share of a try.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${opts.timeoutMs} ms`, 'TimeoutError')), opts.timeoutMs);
  let statusCode: number | null = null;
  try {
    const url = checkUrlShape(opts.url, opts.policy);
    assertLiteralAllowed(url, opts.policy.allowPrivate);
    const res = await request(url, {
      method: 'POST',
      body: opts.body,
      headers: { 'content-type': 'application/json', 'user-agent': 'DispatchHub-Webhooks/1.0', ...opts.headers },
      dispatcher: agentFor(opts.policy.allowPrivate),
      // undici's request never follows redirects: a 3xx comes back as a failed try.
      signal: deadline.signal,
    });
    statusCode = res.statusCode;
    // Keep only the first 4 KB of the answer; a body still dripping at the deadline is cut there
    // (the status already tells the outcome).
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        if (size + buf.length > RESPONSE_CAPTURE_BYTES) {
          chunks.push(buf.subarray(0, RESPONSE_CAPTURE_BYTES - size));
          truncated = true;
          break;
        }
        chunks.push(buf);
        size += buf.length;
      }
    } catch {
      truncated = true;
    } finally {
      res.body.destroy();
    }
    return {
      statusCode,
      durationMs: elapsed(),
      error: null,
      responseBody: storableText(Buffer.concat(chunks)),
      responseTruncated: truncated,
      retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
    };
  } catch (err) {
    return { statusCode, durationMs: elapsed(), error: describeFailure(err, opts.timeoutMs), responseBody: null, responseTruncated: false, retryAfterSeconds: null };
  } finally {
    clearTimeout(timer);
  }
}
