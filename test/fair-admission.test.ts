/**
 * Issue #22 req 5: background work takes turns across tenants. A tenant's big import does not
 * hold back another tenant's small one, nor its stops' first workflows, and the starters' backlog
 * is a metric. The starter's ceiling is set low here (10/s), so A's 1,000 stops take it well over
 * a minute and B's turn shows.
 */
import { stopWorkflowId } from '../common/temporal/stop-lifecycle';
import { stopBody } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';

let hub: TestHub;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  hub = await startTestHub({ env: { HUB_LIFECYCLE_STARTS_PER_SECOND: '10', HUB_LIFECYCLE_START_DELAY_MS: '300' } });
  a = await hub.tenant();
  b = await hub.tenant();
}, 60_000);

afterAll(async () => {
  await hub?.stop();
});

const unstarted = async (tenantId: string): Promise<number> =>
  Number(
    (
      await hub.db
        .selectFrom('stops')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('lifecycle_started_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

test("another tenant's 5-stop import is answered and its stops get their workflows while a 1,000-stop backlog waits", async () => {
  const timed = async (tenant: TestTenant, n: number) => {
    const began = Date.now();
    const res = await hub.call('POST', '/v1/stops/bulk', { key: tenant.key, body: Array.from({ length: n }, () => stopBody()) });
    return { res, ms: Date.now() - began };
  };
  // A's two 500-stop imports and B's 5-stop one, sent together.
  const [a1, a2, small] = await Promise.all([timed(a, 500), timed(a, 500), timed(b, 5)]);
  expect([a1.res.status, a2.res.status, small.res.status]).toEqual([201, 201, 201]);
  // B's import waited for neither of A's (they queue behind each other on A's own lock).
  expect(small.ms).toBeLessThan(Math.max(a1.ms, a2.ms));

  // B's five get their workflows in the starter's first rounds, long before A's backlog is done.
  const deadline = Date.now() + 15_000;
  while ((await unstarted(b.tenantId)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(await unstarted(b.tenantId)).toBe(0);
  expect(await unstarted(a.tenantId)).toBeGreaterThan(700);
  const ids = small.res.body.stops.map((s: { id: string }) => s.id);
  for (const id of ids) expect((await hub.temporal.workflow.getHandle(stopWorkflowId(id)).describe()).status.name).toBe('RUNNING');

  // The backlog and the pace are on /metrics for the dashboard.
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  const pending = Number(/^dispatch_hub_lifecycle_starts_pending (\d+)/m.exec(metrics)?.[1]);
  expect(pending).toBeGreaterThan(700);
}, 120_000);
