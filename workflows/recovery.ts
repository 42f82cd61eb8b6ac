/** A recovery or replay: its deliveries back on the queue in event order, paced, cancellable. */
import { CancellationScope, continueAsNew, isCancellation, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { RecoveryActivities, RecoveryWorkflow } from '../common/temporal/recovery';

/**
 * A step hands over a batch and waits inside the activity for its first tries (up to
 * RECOVERY_STEP_MAX_WAIT_MS), heartbeating: a worker lost mid-wait is noticed within the
 * heartbeat timeout and the step runs again (it hands nothing over twice). On cancel the
 * workflow does not wait for the activity (TRY_CANCEL, the default): it ends the recovery at once,
 * and the step sees that on its next look.
 */
const acts = proxyActivities<RecoveryActivities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
});

/** Steps per run before the history starts afresh: each is one activity, i.e. one batch. */
const STEPS_PER_RUN = 200;

export const recoveryWorkflow: RecoveryWorkflow = async (input) => {
  let requeued = 0;
  try {
    for (let step = 0; step < STEPS_PER_RUN; step++) {
      const s = await acts.recoveryStep(input);
      requeued += s.requeued;
      setCurrentDetails(`${s.remaining} to hand over, ${s.inFlight} waiting for their first try`);
      if (s.ended) return { status: 'cancelled', requeued };
      if (s.remaining === 0 && s.inFlight === 0) {
        await acts.finishRecovery({ recoveryId: input.recoveryId, status: 'completed' });
        return { status: 'completed', requeued };
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: what was handed over goes on; the rest stays where it is.
    await CancellationScope.nonCancellable(() => acts.finishRecovery({ recoveryId: input.recoveryId, status: 'cancelled' }));
    return { status: 'cancelled', requeued };
  }
  return continueAsNew<RecoveryWorkflow>(input);
};
