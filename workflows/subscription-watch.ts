/** A failing subscription on watch: judged on every try of the window its dialect names. */
import { proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { SubscriptionWatchActivities, SubscriptionWatchWorkflow } from '../common/temporal/subscription-watch';

const acts = proxyActivities<SubscriptionWatchActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 20 },
});

export const subscriptionWatchWorkflow: SubscriptionWatchWorkflow = async (input) => {
  const since = await acts.beginFailureWatch({ subscriptionId: input.subscriptionId });
  setCurrentDetails(`on watch since ${since}: switched off if over ${Math.round(input.threshold * 100)} % of its tries fail in ${input.windowHours} h`);
  await sleep(input.windowHours * 3_600_000);
  const verdict = await acts.judgeFailureWatch({ ...input, since });
  setCurrentDetails(`${verdict.failed} of ${verdict.tries} tries failed: ${verdict.disabled ? 'switched off' : 'kept on'}`);
  return verdict;
};
