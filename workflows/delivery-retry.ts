/**
 * A delivery that has to wait (see common/temporal/delivery-retry.ts). The workers send every
 * try; this workflow only keeps time: it waits out the schedule from the end of the last try in
 * a durable timer, puts the delivery back on the queue, and hears how the try went. It never
 * holds a workflow task on the network, so a slow receiver delays nobody.
 */
import { ApplicationFailure, condition, proxyLocalActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import {
  cancelDeliverySignal,
  type DeliveryRetryActivities,
  type DeliveryRetryState,
  type DeliveryRetryWorkflow,
  deliveryStateQuery,
  deliveryTriedSignal,
  type DeliveryTry,
} from '../common/temporal/delivery-retry';

const queue = proxyLocalActivities<DeliveryRetryActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 },
});

/**
 * The wait runs from the end of the try: the time between that end and this workflow hearing of
 * it is taken off the wait. A gap longer than this is not time that passed but a clock that
 * differs from the worker's (or time skipped in tests), and is not taken off.
 */
const MAX_LAG_CREDIT_MS = 1_000;

const describe = (t: DeliveryTry): string => t.error ?? (t.statusCode !== null ? `HTTP ${t.statusCode}` : 'no answer');

export const deliveryRetryWorkflow: DeliveryRetryWorkflow = async (input) => {
  const tries: DeliveryTry[] = [];
  let cancelled = false;
  let phase: DeliveryRetryState['phase'] = 'waiting';
  let nextTryAt: string | null = null;
  const latest = (): DeliveryTry | undefined => tries[tries.length - 1];
  /** Tries arrive once each (a repeated signal, a result read back from the database). */
  const hear = (t: DeliveryTry): void => {
    if (tries.some((x) => x.attempt === t.attempt)) return;
    tries.push(t);
    tries.sort((a, b) => a.attempt - b.attempt);
  };
  const heardAfter = (attempt: number): boolean => tries.some((t) => t.attempt > attempt);

  setHandler(deliveryTriedSignal, hear);
  setHandler(cancelDeliverySignal, () => {
    cancelled = true;
  });
  setHandler(deliveryStateQuery, () => ({ input, tries, phase, next_try_at: nextTryAt }));

  // The try that made this delivery wait comes with the start (signal-with-start).
  await condition(() => tries.length > 0 || cancelled);
  for (;;) {
    const last = latest();
    if (cancelled || !last || last.status === 'cancelled') {
      phase = 'done';
      setCurrentDetails('cancelled: the subscription was disabled or deleted');
      return { status: 'cancelled', attempts: last?.attempt ?? 0 };
    }
    if (last.status === 'succeeded') {
      phase = 'done';
      setCurrentDetails(`delivered on try ${last.attempt} of ${last.maxAttempts}`);
      return { status: 'succeeded', attempts: last.attempt };
    }
    if (last.status === 'failed') {
      phase = 'done';
      setCurrentDetails(`failed after try ${last.attempt} of ${last.maxAttempts}: ${describe(last)}`);
      throw ApplicationFailure.create({
        type: 'DeliveryFailed',
        message: `delivery failed after try ${last.attempt} of ${last.maxAttempts}: ${describe(last)}`,
        nonRetryable: true,
        details: [last],
      });
    }

    // Retrying: wait from the end of this delivery's own try, whatever its siblings do.
    const lag = Date.now() - Date.parse(last.waitFrom);
    const waitMs = Math.max(0, last.waitMs - (lag >= 0 && lag <= MAX_LAG_CREDIT_MS ? lag : 0));
    phase = 'waiting';
    nextTryAt = new Date(Date.now() + waitMs).toISOString();
    setCurrentDetails(`try ${last.attempt} of ${last.maxAttempts} failed (${describe(last)}); next try at ${nextTryAt}`);
    if (await condition(() => cancelled || heardAfter(last.attempt), waitMs)) continue;

    const next = last.attempt + 1;
    phase = 'queued';
    nextTryAt = null;
    setCurrentDetails(`try ${next} of ${last.maxAttempts} is queued`);
    const requeued = await queue.requeueDelivery({ deliveryId: input.deliveryId, attempt: next });
    if (requeued === 'cancelled') cancelled = true;
    else if (requeued !== 'queued') hear(requeued);
    // The worker that sends it says how it went. The queue always gets to a queued delivery, and
    // a result that does not arrive here is handed over again by the sweep (handoff_pending).
    await condition(() => cancelled || heardAfter(last.attempt));
  }
};
