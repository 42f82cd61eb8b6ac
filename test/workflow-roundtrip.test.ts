import { pingWorkflow } from '../workflows';
import { startTestHub, type TestHub } from './support/hub';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub.stop());

test('a workflow runs on a real worker and its activity reaches Postgres', async () => {
  const result = await hub.temporal.workflow.execute(pingWorkflow, {
    taskQueue: hub.config.taskQueues.background,
    workflowId: `ping/${Date.now()}`,
    args: ['hello'],
  });
  expect(result.echo).toBe('hello');
  const dbTime = Date.parse(result.database_time);
  expect(Math.abs(dbTime - Date.now())).toBeLessThan(60_000);
});
