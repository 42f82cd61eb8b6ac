/** Public endpoints (no auth): health with dependency latency, server time, the changelog. */
import { Router } from 'express';
import { sql } from 'kysely';
import { API_VERSION, CHANGELOG } from '../../common/changelog';
import type { ApiContext } from '../context';

export interface Check {
  status: 'up' | 'down';
  latency_ms: number;
  /** Which server was probed (Temporal's host:port), so a hub talking to the wrong one shows it. */
  address?: string;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2_000;

async function timed(probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latency_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return {
      status: 'down',
      latency_ms: Math.round(performance.now() - started),
      // Only the error's first line: connection strings never appear in pg/grpc messages' heads.
      error: String((err as Error).message ?? err).split('\n')[0]!.slice(0, 200),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** host:port of a connection string, never its credentials. */
function postgresAddress(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return undefined;
  }
}

/** Postgres and Temporal, each probed with its latency (shared with the Partner API's /health). */
export async function dependencyChecks(ctx: ApiContext): Promise<{ checks: { postgres: Check; temporal: Check }; healthy: boolean }> {
  const [postgres, temporal] = await Promise.all([
    timed(() => sql`select 1`.execute(ctx.db)),
    timed(() => ctx.temporal.connection.workflowService.getSystemInfo({})),
  ]);
  postgres.address = postgresAddress(ctx.endpoints.databaseUrl);
  temporal.address = ctx.endpoints.temporalAddress;
  return { checks: { postgres, temporal }, healthy: postgres.status === 'up' && temporal.status === 'up' };
}

export function publicRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/health', async (_req, res) => {
    const { checks, healthy } = await dependencyChecks(ctx);
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'unavailable',
      version: API_VERSION,
      time: new Date().toISOString(),
      checks,
    });
  });

  router.get('/time', (_req, res) => {
    const now = Date.now();
    res.json({ now: new Date(now).toISOString(), unix: Math.floor(now / 1000), unix_ms: now });
  });

  router.get('/changelog', (_req, res) => {
    res.json({ current_version: API_VERSION, versions: CHANGELOG });
  });

  return router;
}
