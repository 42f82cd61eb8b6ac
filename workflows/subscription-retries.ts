/**
 * A subscription's retry timer (see common/temporal/subscription-retries.ts). It only keeps
 * time: the workers send every try from the queue and record it, never inside a workflow task.
 */
import { condition, continueAsNew, proxyLocalActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  RETRY_LOOK_GAP_MS,
  RETRY_LOOKAHEAD_MS,
  retriesSummary,
  retryDueSignal,
  type RetriesSnapshot,
  type SubscriptionRetriesActivities,
  subscriptionRetriesStateQuery,
  type SubscriptionRetriesWorkflow,
} from '../common/temporal/subscription-retries';

/** One statement in Postgres: a local activity, so a look costs one workflow task, not two. */
const queue = proxyLocalActivities<SubscriptionRetriesActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 12 },
});

/** Looks per run before the history starts afresh. */
const LOOKS_PER_RUN = 500;

export const subscriptionRetriesWorkflow: SubscriptionRetriesWorkflow = async (input) => {
  let snapshot: RetriesSnapshot | null = null;
  /** The earliest due time (database clock, ms) a signal named since the last look. */
  let signalled: number | null = null;
  let requeued = 0;
  /**
   * Database clock minus this workflow's clock, as of the last look: due times are on the
   * database's clock, timers on the server's (a few ms apart in production; hours apart on the
   * time-skipping test server).
   */
  let offset = 0;

  setHandler(retryDueSignal, ({ at }) => {
    const t = Date.parse(at);
    if (Number.isFinite(t)) signalled = signalled === null ? t : Math.min(signalled, t);
  });
  setHandler(subscriptionRetriesStateQuery, (page = {}) => {
    const offsetInPage = Math.max(0, Math.floor(page.offset ?? 0));
    const limit = Math.min(100, Math.max(1, Math.floor(page.limit ?? 20)));
    const sample = snapshot?.sample ?? [];
    return {
      input,
      waiting: snapshot?.waiting ?? 0,
      next_try_at: snapshot?.nextDueAt ?? null,
      deliveries: sample.slice(offsetInPage, offsetInPage + limit),
      next_offset: offsetInPage + limit < sample.length ? offsetInPage + limit : null,
    };
  });

  for (let look = 1; look <= LOOKS_PER_RUN; look++) {
    // Signals from here on may name tries this look does not see yet: they count for the next.
    signalled = null;
    const lookedAt = Date.now();
    // What is due by now on the database's clock, as this workflow's clock tells it.
    const cutoff = look > 1 ? new Date(lookedAt + offset).toISOString() : undefined;
    const found = await queue.requeueDueRetries({ subscriptionId: input.subscriptionId, cutoff });
    snapshot = found;
    offset = Date.parse(found.dbNow) - lookedAt;
    requeued += found.requeued;
    setCurrentDetails(retriesSummary(found));

    // Sleep until the lookahead before the earliest due try (what the look found, or a signal
    // named since), waking earlier when a signal names an earlier one; all in this workflow's clock.
    const earliest = (): number | null => {
      const due = [found.nextDueAt ? Date.parse(found.nextDueAt) : null, signalled].filter((t): t is number => t !== null);
      return due.length ? Math.min(...due) - offset : null;
    };
    let wakeAt = 0;
    for (;;) {
      const due = earliest();
      if (due === null) return { looks: look, requeued };
      const lookAt = (d: number) => Math.max(d - RETRY_LOOKAHEAD_MS, lookedAt + RETRY_LOOK_GAP_MS);
      wakeAt = lookAt(due);
      const sooner = () => {
        const d = earliest();
        return d !== null && lookAt(d) < wakeAt;
      };
      if (!(await condition(sooner, Math.max(1, wakeAt - Date.now())))) break;
    }
    if (workflowInfo().continueAsNewSuggested) break;
  }
  return continueAsNew<SubscriptionRetriesWorkflow>(input);
};
