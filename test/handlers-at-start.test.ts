/**
 * Issue #21: every workflow takes the Update or signal it starts with. Each workflow type the
 * worker runs is listed below with a probe that sends its Updates, signals and queries *with* the
 * start (Update-with-Start, signal-with-start) and right after it, without a pause, and expects
 * the real answer. A workflow exported from workflows/index.ts without an entry fails the first
 * test, so the next workflow's author adds its probe (the lint rule hub/handlers-before-await
 * holds the same line in the code).
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { defineUpdate } from '@temporalio/workflow';
import * as workflows from '../workflows';
import { withUpdateDeadline } from '../api/temporal-errors';
import { ApiError } from '../api/errors';
import { METRICS } from '../common/metrics/registry';
import { pingWorkflow } from '../workflows/ping';
import { stopStateQuery, stopTransitionUpdates, stopWorkflowId, stopWorkflowOptions } from '../common/temporal/stop-lifecycle';
import { importStateQuery, importWorkflowId } from '../common/temporal/bulk-import';
import { deleteRouteUpdate, patchRouteUpdate, routeStateQuery, routeWorkflowId, routeWorkflowOptions } from '../common/temporal/route-lifecycle';
import { retryDueSignal, subscriptionRetriesOptions, subscriptionRetriesStateQuery } from '../common/temporal/subscription-retries';
import { ulid } from '../common/ids';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop, stopBody } from './support/fixtures';

let hub: TestHub;
let t: TestTenant;
let driver: any;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
  driver = await createDriver(hub, t.key);
});
afterAll(async () => hub.stop());

const routeOf = async (n = 2): Promise<any> => {
  const stops = [];
  for (let i = 0; i < n; i++) stops.push(await createStop(hub, t.key));
  const res = await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, stop_ids: stops.map((s) => s.id) } });
  expect(res.status).toBe(201);
  return res.body;
};

/** Each workflow type, and how it is reached at its start (null: it has no handlers to reach). */
const PROBES: Record<keyof typeof workflows, (() => Promise<void>) | null> = {
  stopLifecycleWorkflow: async () => {
    // Started and moved in the same breath: the Update is in the workflow's first task.
    const stop = await createStop(hub, t.key);
    const handle = await hub.temporal.workflow.start(workflows.stopLifecycleWorkflow, stopWorkflowOptions(hub.config.taskQueues.lifecycle, { tenantId: t.tenantId, stopId: stop.id }));
    const [state, moved] = await Promise.all([
      handle.query(stopStateQuery),
      handle.executeUpdate(stopTransitionUpdates.cancel, { args: [{ reason: 'probe' }] }),
    ]);
    expect(moved.status).toBe('cancelled');
    expect(state.rejected).toBeNull();
    // And with the start itself (Update-with-Start, what the API sends to a stop with no workflow yet).
    const other = await createStop(hub, t.key);
    const assigned = await hub.temporal.workflow.executeUpdateWithStart(stopTransitionUpdates.assign, {
      args: [{ driver_id: driver.id }],
      startWorkflowOperation: new WithStartWorkflowOperation(workflows.stopLifecycleWorkflow, stopWorkflowOptions(hub.config.taskQueues.lifecycle, { tenantId: t.tenantId, stopId: other.id })),
    });
    expect(assigned.status).toBe('assigned');
  },
  routeLifecycleWorkflow: async () => {
    // A route whose workflow has not started yet: the rename is delivered with the start itself.
    const routeId = `rte_${ulid()}`;
    await hub.db.insertInto('routes').values({ id: routeId, tenant_id: t.tenantId, driver_id: driver.id, name: null, status: 'planned', version: 1 }).execute();
    const handle = await hub.temporal.workflow.start(workflows.routeLifecycleWorkflow, routeWorkflowOptions(hub.config.taskQueues.lifecycle, { tenantId: t.tenantId, routeId }));
    const renamed = await handle.executeUpdate(patchRouteUpdate, { args: [{ name: 'probe' }] });
    expect(renamed.name).toBe('probe');
    const other = `rte_${ulid()}`;
    await hub.db.insertInto('routes').values({ id: other, tenant_id: t.tenantId, driver_id: driver.id, name: null, status: 'planned', version: 1 }).execute();
    const deleted = await hub.temporal.workflow.executeUpdateWithStart(deleteRouteUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(workflows.routeLifecycleWorkflow, routeWorkflowOptions(hub.config.taskQueues.lifecycle, { tenantId: t.tenantId, routeId: other })),
    });
    expect(deleted.status).toBe('deleted');
    expect(await hub.temporal.workflow.getHandle(routeWorkflowId(other)).query(routeStateQuery)).toMatchObject({ id: other, status: 'deleted' });
  },
  bulkImportWorkflow: async () => {
    // The API's import is Update-with-Start on `committed`; the state query right after it answers.
    const res = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: [stopBody(), stopBody()] });
    expect(res.status).toBe(201);
    const state = await hub.temporal.workflow.getHandle(importWorkflowId(res.body.import_id)).query(importStateQuery);
    expect(state).toEqual({ phase: 'committed', count: 2 });
  },
  subscriptionRetriesWorkflow: async () => {
    // Woken with a signal-with-start and asked for its state at once: nothing waits, so it ends.
    const sub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: 'https://example.com/probe', events: ['stop.created'] } });
    expect(sub.status).toBe(201);
    const input = { subscriptionId: sub.body.id, tenantId: t.tenantId, partnerId: null, provider: 'standard' as const, host: 'example.com' };
    const handle = await hub.temporal.workflow.signalWithStart(workflows.subscriptionRetriesWorkflow, {
      ...subscriptionRetriesOptions(hub.config.taskQueues.timers, input),
      signal: retryDueSignal,
      signalArgs: [{ at: new Date().toISOString() }],
    });
    expect(await handle.query(subscriptionRetriesStateQuery)).toMatchObject({ input, waiting: 0 });
    expect(await handle.result()).toMatchObject({ looks: 1, requeued: 0 });
  },
  pingWorkflow: null,
  recoveryWorkflow: null,
  eventRetentionWorkflow: null,
  outboxSweepWorkflow: null,
  subscriptionHealthWorkflow: null,
  subscriptionWatchWorkflow: null,
};

test('every workflow the worker runs has a start probe', () => {
  expect(Object.keys(PROBES).sort()).toEqual(Object.keys(workflows).sort());
});

describe.each(Object.entries(PROBES).filter(([, probe]) => probe !== null))('%s', (_name, probe) => {
  test('takes the Updates, signals and queries sent with its start and right after it', async () => {
    await probe!();
  });
});

describe('routes: the request after creation reaches the workflow', () => {
  test.each(['dispatch', 'rename', 'delete'])('create, then %s at once, 10 times out of 10', async (action) => {
    for (let i = 0; i < 10; i++) {
      const route = await routeOf(1);
      const res =
        action === 'dispatch'
          ? await hub.call('POST', `/v1/routes/${route.id}/dispatch`, { key: t.key })
          : action === 'rename'
            ? await hub.call('PATCH', `/v1/routes/${route.id}`, { key: t.key, body: { name: `run ${i}` } })
            : await hub.call('DELETE', `/v1/routes/${route.id}`, { key: t.key });
      expect({ i, status: res.status, error: res.body.error }).toEqual({ i, status: 200, error: undefined });
      expect(res.body.status).toBe(action === 'dispatch' ? 'dispatched' : action === 'rename' ? 'planned' : 'deleted');
    }
  });
});

test('a Temporal failure the API does not recognise is a 503 with the workflow id logged and counted, not a 500', async () => {
  const logged: unknown[] = [];
  const logger = { ...hub.logger, error: (obj: unknown) => logged.push(obj) } as unknown as typeof hub.logger;
  const before = (await METRICS.temporalUnrecognised.get()).values.reduce((n, v) => n + v.value, 0);
  // A real refusal nobody maps: an Update the workflow has no handler for.
  const unknownUpdate = defineUpdate<string>('no-such-update');
  const workflowId = `probe/${ulid()}`;
  const err = await withUpdateDeadline({ temporal: hub.temporal, config: hub.config, logger }, workflowId, () =>
    hub.temporal.workflow.executeUpdateWithStart(unknownUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(pingWorkflow, { workflowId, taskQueue: hub.config.taskQueues.lifecycle, args: ['probe'], workflowIdConflictPolicy: 'USE_EXISTING' }),
    }),
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toBe(503);
  expect((err as ApiError).details.retry_after).toBeGreaterThan(0);
  expect(logged).toEqual([expect.objectContaining({ workflow_id: workflowId })]);
  const after = (await METRICS.temporalUnrecognised.get()).values.reduce((n, v) => n + v.value, 0);
  expect(after).toBe(before + 1);
});

test('a stop created and moved at once still gets the move (its workflow is started by the move)', async () => {
  const stop = await createStop(hub, t.key);
  const res = await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: driver.id } });
  expect(res.status).toBe(200);
  const described = await hub.temporal.workflow.getHandle(stopWorkflowId(stop.id)).describe();
  expect(described.status.name).toBe('RUNNING');
});
