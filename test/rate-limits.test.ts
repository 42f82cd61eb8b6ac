/**
 * Rate limits shared by API replicas through leases (api/leased-window.ts): never more than the
 * limit across replicas, and far fewer Postgres statements than requests.
 */
import { Pool } from 'pg';
import { LeasedWindow } from '../api/leased-window';
import { startTestHub, type TestHub } from './support/hub';
import { type HubProcess, spawnApi } from './support/hub-process';

let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub({ worker: false });
});
afterAll(async () => {
  await hub.stop();
});

/** A pool that counts the statements sent through it. */
function countingPool(): { pool: Pool; statements: () => number } {
  const pool = new Pool({ connectionString: hub.config.databaseUrl!, max: 4 });
  let n = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    n += 1;
    return query(...args);
  };
  return { pool, statements: () => n };
}

/** Runs `test` with a counting pool of its own, ended afterwards. */
async function withCountingPool(test: (a: ReturnType<typeof countingPool>) => Promise<void>): Promise<void> {
  const a = countingPool();
  try {
    await test(a);
  } finally {
    await a.pool.end();
  }
}

test('two replicas under a burst: never past the limit, at most one request per replica lost, a lease per many requests', async () => {
  const a = countingPool();
  const b = countingPool();
  try {
    const key = `burst-${Date.now()}`;
    const limit = 300;
    const replicas = [new LeasedWindow(a.pool, 'test', limit, 60_000), new LeasedWindow(b.pool, 'test', limit, 60_000)];
    const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => replicas[i % 2]!.take(key)));
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThanOrEqual(limit - replicas.length);
    // Refusals past the limit are answered from memory, and the limit's requests took few leases.
    expect(a.statements() + b.statements()).toBeLessThan(60);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused).toMatchObject({ remaining: 0, limit });
    expect(refused.resetMs).toBeGreaterThan(50_000);
  } finally {
    await a.pool.end();
    await b.pool.end();
  }
});

test('a key asking slowly takes one request per lease, so a replica that stops loses nothing', () =>
  withCountingPool(async (a) => {
    const window = new LeasedWindow(a.pool, 'test', 100, 60_000);
    const key = `slow-${Date.now()}`;
    for (let i = 1; i <= 3; i++) {
      expect(await window.take(key)).toMatchObject({ allowed: true, used: i, remaining: 100 - i });
      await new Promise((r) => setTimeout(r, 1_100));
    }
    expect(await window.peek(key)).toMatchObject({ used: 3, remaining: 97 });
    const row = await hub.db.selectFrom('rate_limits').select('points').where('key', '=', `test:${key}`).executeTakeFirstOrThrow();
    expect(row.points).toBe(3);
  }));

test('a window that ends starts afresh', () =>
  withCountingPool(async (a) => {
    const window = new LeasedWindow(a.pool, 'test', 2, 1_000);
    const key = `short-${Date.now()}`;
    expect((await Promise.all([window.take(key), window.take(key), window.take(key)])).map((r) => r.allowed)).toEqual([true, true, false]);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await window.take(key)).toMatchObject({ allowed: true, used: 1, remaining: 1 });
  }));

test('two API processes answer one key together: the limit, then 429s, and each process says where the key stands', async () => {
  const t = await hub.tenant(undefined, { rateLimitPerMinute: 120 });
  const env = { DATABASE_URL: hub.config.databaseUrl!, TEMPORAL_ADDRESS: hub.config.temporal.address!, HUB_TASK_QUEUE: hub.config.taskQueues.lifecycle };
  const apis: (HubProcess & { url: string })[] = [];
  try {
    apis.push(...(await Promise.all([spawnApi(env), spawnApi(env)])));
    const statuses: number[] = [];
    // 300 requests, 20 at a time, spread over both processes.
    for (let round = 0; round < 15; round++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fetch(`${apis[i % 2]!.url}/v1/me`, { headers: { authorization: `Bearer ${t.key}` } })),
      );
      for (const res of answers) {
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeLessThanOrEqual(120);
    expect(ok).toBeGreaterThanOrEqual(118);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    for (const api of apis) {
      const res = await fetch(`${api.url}/v1/me`, { headers: { authorization: `Bearer ${t.key}` } });
      expect([res.status, res.headers.get('x-ratelimit-remaining'), Number(res.headers.get('retry-after')) > 0]).toEqual([429, '0', true]);
    }
  } finally {
    await Promise.all(apis.map((a) => a.kill('SIGTERM')));
  }
});
