/**
 * The SDK keeps a stack for every promise a workflow makes, only so that the stack-trace queries
 * (the Temporal UI's Stack Trace tab) can answer; on this machine that was about a fifth of the
 * worker's CPU per move. patches/@temporalio+worker+*.patch lets a process switch it off for the
 * workflow threads it spawns afterwards, through Node's environment data for worker threads.
 */
import { setEnvironmentData } from 'node:worker_threads';

/** The key the patched SDK reads in each workflow thread as it starts. */
const WORKFLOW_STACK_TRACES = 'temporal.workflowStackTraces';

/** Applies to workflow threads started (Worker.create) after this call. */
export function setWorkflowStackTraces(on: boolean): void {
  setEnvironmentData(WORKFLOW_STACK_TRACES, on);
}
