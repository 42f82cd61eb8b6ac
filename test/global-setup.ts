/**
 * Once per `npm test`: a fresh embedded Postgres and one Temporal dev server (in a temporary
 * directory, on free ports), and the workflow bundle built once for every test worker.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../dev/processes';
import { WORKFLOWS_PATH } from '../worker/worker';
import { startStackProcess } from './support/stack-process';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'dispatch-hub-test-'));
  // Postgres runs as its own user when we are root; it must be able to reach its folder.
  chmodSync(dir, 0o755);
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [stack, bundle] = await Promise.all([
    startStackProcess(['--data-dir', dir, '--pg-port', String(pgPort), '--temporal-port', String(temporalPort), '--headless']),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } }),
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  process.env.TEST_DATA_DIR = dir;
  process.env.DATABASE_URL = stack.databaseUrl;
  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.HUB_WORKFLOW_BUNDLE = bundlePath;
  (globalThis as { __hubStack?: typeof stack }).__hubStack = stack;
  console.log(`\n[test] stack ready in ${Date.now() - started} ms (postgres ${stack.databaseUrl.replace(/:[^:@]+@/, ':***@')}, temporal ${stack.temporalAddress})`);
}
