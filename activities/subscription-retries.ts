/** What a subscription's retry timer asks of the queue (common/deliveries/retry-timer.ts). */
import { requeueDueRetries } from '../common/deliveries/retry-timer';
import type { SubscriptionRetriesActivities } from '../common/temporal/subscription-retries';
import type { ActivityDeps } from './deps';

export function subscriptionRetriesActivities({ db }: ActivityDeps): SubscriptionRetriesActivities {
  return {
    requeueDueRetries: (input) => requeueDueRetries(db, input.subscriptionId, input.cutoff),
  };
}
