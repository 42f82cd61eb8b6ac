/** A recovery or replay: its deliveries back on the queue in event order, paced, cancellable. */
import { CancellationScope, continueAsNew, isCancellation, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { RecoveryActivities, RecoveryWorkflow } from '../common/temporal/recovery';

const acts = proxyActivities<RecoveryActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
});

/** Steps per run before the history starts afresh (each step is a timer and an activity). */
const STEPS_PER_RUN = 500;
const STEP_INTERVAL = '1s';

export const recoveryWorkflow: RecoveryWorkflow = async (input) => {
  let requeued = 0;
  try {
    for (let step = 0; step < STEPS_PER_RUN; step++) {
      const s = await acts.recoveryStep(input);
      requeued += s.requeued;
      setCurrentDetails(`${s.remaining} to hand over, ${s.inFlight} waiting for their first try`);
      if (s.remaining === 0 && s.inFlight === 0) {
        await acts.finishRecovery({ recoveryId: input.recoveryId, status: 'completed' });
        return { status: 'completed', requeued };
      }
      await sleep(STEP_INTERVAL);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: what was handed over goes on; the rest stays where it is.
    await CancellationScope.nonCancellable(() => acts.finishRecovery({ recoveryId: input.recoveryId, status: 'cancelled' }));
    return { status: 'cancelled', requeued };
  }
  return continueAsNew<RecoveryWorkflow>(input);
};
