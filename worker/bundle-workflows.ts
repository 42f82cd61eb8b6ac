/**
 * `npm run build` step: bundles the workflow code once, next to the compiled worker
 * (dist/workflow-bundle.js). A worker that bundles at start carries webpack's memory for its
 * whole life (over 100 MB); one that loads a bundle does not.
 */
import { runMain } from '../common/entry-point';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BUILT_BUNDLE_PATH, WORKFLOWS_PATH } from './worker';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  writeFileSync(BUILT_BUNDLE_PATH, code);
  console.log(`workflow bundle: ${path.relative(process.cwd(), BUILT_BUNDLE_PATH)} (${Math.round(code.length / 1024)} KB)`);
}

runMain(main);
