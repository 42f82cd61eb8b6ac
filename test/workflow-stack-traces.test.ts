/**
 * HUB_WORKFLOW_STACK_TRACES: the SDK's per-promise stack capture (the Temporal UI's Stack Trace
 * tab) costs CPU on every move, so workers run without it unless it is switched on; the patch in
 * patches/ makes it optional. Both ways against a real worker.
 */
import { WorkflowHandle } from '@temporalio/client';
import { stopStateQuery, stopWorkflowId, stopWorkflowOptions } from '../common/temporal/stop-lifecycle';
import { stopLifecycleWorkflow } from '../workflows';
import { startTestHub, type TestHub } from './support/hub';
import { createStop } from './support/fixtures';

/** A stop whose workflow runs (and waits for its next move) on `hub`'s worker. */
async function waitingStop(hub: TestHub): Promise<WorkflowHandle> {
  const t = await hub.tenant();
  const stop = await createStop(hub, t.key);
  const handle = await hub.temporal.workflow.start(stopLifecycleWorkflow, stopWorkflowOptions(hub.config.taskQueues.lifecycle, { tenantId: t.tenantId, stopId: stop.id }));
  expect(handle.workflowId).toBe(stopWorkflowId(stop.id));
  // Its first task read the stop: from here on it waits for a move.
  for (let i = 0; i < 100 && !(await handle.query(stopStateQuery)).stop; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await handle.query(stopStateQuery)).stop?.status).toBe('pending');
  return handle;
}

test('by default a workflow answers its state but not the stack-trace query', async () => {
  const hub = await startTestHub();
  try {
    const handle = await waitingStop(hub);
    await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
  } finally {
    await hub.stop();
  }
});

test('HUB_WORKFLOW_STACK_TRACES=true: the stack-trace query shows where the workflow waits', async () => {
  const hub = await startTestHub({ env: { HUB_WORKFLOW_STACK_TRACES: 'true' } });
  try {
    const handle = await waitingStop(hub);
    const trace = await handle.query<string>('__stack_trace');
    expect(trace).toMatch(/stopLifecycleWorkflow/);
  } finally {
    await hub.stop();
  }
});
