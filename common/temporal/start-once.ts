import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

/** A start that finds its workflow already there (running or finished) has nothing left to do. */
export async function startOnce(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

