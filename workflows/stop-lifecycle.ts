/**
 * One workflow per stop (`stop/<stop id>`), alive until the stop is completed, failed or
 * cancelled. The stop row and its `stop.created` event are committed before the workflow starts
 * (the workers' lifecycle starter or the stop's import starts it). Every change arrives as a Workflow
 * Update: validators refuse invalid moves before they enter history, handlers apply accepted ones
 * one at a time through an activity that writes the stop row, its history row and its event in
 * one transaction.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  type defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { GeocodedColumn } from '../common/db/schema';
import type { StopPatchInput, StopResource } from '../common/schemas/stops';
import type { StopRejection } from '../common/stops/failures';
import {
  type GeocodingActivities,
  patchStopUpdate,
  type StopActivities,
  type StopChange,
  type StopLifecycleWorkflow,
  type StopResult,
  stopStateQuery,
  stopTransitionUpdates,
} from '../common/temporal/stop-lifecycle';
import {
  canTransition,
  isTerminal,
  type StopStatus,
  TRANSITION_ACTIONS,
  TRANSITIONS,
} from '../common/stops/lifecycle';
import { routeStopEndedSignal, routeWorkflowId } from '../common/temporal/route-lifecycle';
import { DATABASE_WRITES } from './database-writes';
import { FifoLock } from './fifo-lock';

const db = proxyLocalActivities<StopActivities>(DATABASE_WRITES);
/** See GEOCODED_AT_WRITE. */
const legacyQuickGeocoder = proxyLocalActivities<GeocodingActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });
/** The patch under which stops are geocoded as they are written, not by a first local activity here. */
const GEOCODED_AT_WRITE = 'geocoded-at-write';

/**
 * Geocoding with an HTTP geocoder (the offline gazetteer answers when the stop is written): a
 * durable activity, never inside a workflow task; backs off for hours while the geocoder is
 * down, and the stop stays usable meanwhile.
 */
const geocoder = proxyActivities<GeocodingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 30 },
});

const fail = (r: Omit<StopRejection, 'ok'>): ApplicationFailure =>
  ApplicationFailure.create({ type: r.type, message: r.message, details: [r.details], nonRetryable: true });

const invalidTransition = (action: string, status: string): ApplicationFailure =>
  fail({ type: 'InvalidTransition', message: `cannot ${action} a stop that is ${status}`, details: { current_status: status, action } });

export const stopLifecycleWorkflow: StopLifecycleWorkflow = async (input) => {
  const { tenantId, stopId } = input;
  let stop: StopResource | null = null;
  let rejected: Omit<StopRejection, 'ok'> | null = null;
  /** Targets of accepted changes not yet applied, in order; validators judge against the last. */
  const pending: StopStatus[] = [];
  const lock = new FifoLock();
  const projectedStatus = (): string => pending[pending.length - 1] ?? stop?.status ?? 'pending';

  /** What the Temporal UI shows beside the workflow: where the stop is now. */
  const showStatus = (s: StopResource): void => setCurrentDetails(s.driver_id ? `${s.status}, driver ${s.driver_id}` : s.status);

  /** The route the stop is on, as its last change found it (histories before routes never have one). */
  let routeId: string | null = null;

  const settle = (result: StopResult): StopResource => {
    if (!result.ok) throw fail(result);
    stop = result.stop;
    routeId = result.routeId ?? null;
    showStatus(stop);
    return stop;
  };

  /**
   * Set when a write gave up without an answer: it may have committed or not, so the next change
   * first reads the stop as the database has it.
   */
  let stale = false;

  /** Applies one change after every change accepted before it, against the committed stop. */
  const applyChange = (target: StopStatus | null, change: StopChange, check: (current: StopResource) => void) => {
    if (target) pending.push(target);
    return lock
      .run(async () => {
        await condition(() => stop !== null || rejected !== null);
        if (!stop) throw fail({ type: 'StopNotFound', message: `no stop ${stopId}`, details: {} });
        if (stale) {
          stop = (await db.loadStop({ tenantId, stopId })) ?? stop;
          stale = false;
        }
        check(stop);
        try {
          return settle(await db.applyStopChange({ tenantId, stopId, seq: stop.version + 1, change, source: 'api' }));
        } catch (err) {
          if (err instanceof ActivityFailure) stale = true;
          throw err;
        }
      })
      .finally(() => {
        if (target) pending.shift();
      });
  };

  setHandler(stopStateQuery, () => ({ stop, pending_transitions: [...pending], rejected }));

  for (const action of TRANSITION_ACTIONS) {
    const rule = TRANSITIONS[action];
    setHandler(
      stopTransitionUpdates[action] as ReturnType<typeof defineUpdate<StopResource, [unknown]>>,
      (payload) =>
        applyChange(rule.to, { kind: 'transition', action, payload } as StopChange, (current) => {
          if (!canTransition(action, current.status)) throw invalidTransition(action, current.status);
        }),
      {
        validator: (_payload: unknown) => {
          if (!canTransition(action, projectedStatus())) throw invalidTransition(action, projectedStatus());
        },
      },
    );
  }

  setHandler(
    patchStopUpdate,
    (patch) =>
      applyChange(null, { kind: 'patch', patch }, (current) => {
        if (isTerminal(current.status)) throw invalidTransition('update', current.status);
      }).then((updated) => {
        if (!updated.geocoded) startGeocoding(updated.address);
        return updated;
      }),
    {
      validator: (_patch: StopPatchInput) => {
        if (isTerminal(projectedStatus())) throw invalidTransition('update', projectedStatus());
      },
    },
  );

  // Geocoding runs beside the lifecycle; a new address cancels the lookup of the old one.
  let geocoding: { scope: CancellationScope; done: Promise<void> } | undefined;
  const startGeocoding = (address: string): void => {
    geocoding?.scope.cancel();
    // Only the durable lookup is cancelled (by a newer address, or the stop's end). The local
    // activity that saves it takes milliseconds and always runs to the end: cancelling a local
    // activity in flight failed the workflow task with a nondeterminism error (a stop cancelled
    // right after its creation), and the retried task then applied the cancel a second time.
    const scope = new CancellationScope();
    const done = (async () => {
      let found: GeocodedColumn | null = null;
      // Workflows started before stops were geocoded as they are written first tried here, in a
      // local activity; their histories replay that way.
      if (!patched(GEOCODED_AT_WRITE)) found = await CancellationScope.nonCancellable(() => legacyQuickGeocoder.geocodeAddress({ address })).catch(() => null);
      if (!found) {
        try {
          found = await scope.run(() => geocoder.geocodeAddress({ address }));
        } catch (err) {
          if (isCancellation(err)) return;
          // The geocoder stayed down through every retry: say so on the stop instead of guessing.
          found = { lat: null, lng: null, confidence: 'none', source: 'unavailable', warnings: ['the geocoder was unavailable; the address was not located'] };
        }
      }
      const located = found;
      const saved = await CancellationScope.nonCancellable(() => db.saveGeocode({ stopId, address, geocoded: located })).catch(() => false);
      // Not saved (the database stayed away): the stop keeps no coordinates rather than stale ones.
      if (saved && stop?.address === address) stop = { ...stop, geocoded: { lat: located.lat, lng: located.lng, confidence: located.confidence }, geocode_warnings: located.warnings };
    })();
    geocoding = { scope, done };
  };

  const created: StopResult = input.existing
    ? { ok: true, stop: input.existing }
    : await db.loadStop({ tenantId, stopId }).then(
        (s): StopResult => (s ? { ok: true, stop: s } : { ok: false, type: 'StopNotFound', message: `no stop ${stopId}`, details: {} }),
        (err: unknown) => {
          // The database stayed away through every try: fail this workflow task (not the
          // workflow), which the server retries and the UI shows, until the stop can be read.
          throw new Error(`could not read stop ${stopId}: ${(err as Error).message}`);
        },
      );
  if (!created.ok) {
    rejected = { type: created.type, message: created.message, details: created.details };
    await condition(allHandlersFinished);
    return { stop_id: stopId, status: 'rejected' };
  }
  stop = created.stop;
  showStatus(stop);
  if (!stop.geocoded) startGeocoding(stop.address);

  await condition(() => stop !== null && isTerminal(stop.status) && pending.length === 0 && allHandlersFinished());
  if (geocoding) {
    geocoding.scope.cancel();
    await geocoding.done;
  }
  // The route may complete now; a route already ended or deleted has no workflow to tell.
  if (routeId) await getExternalWorkflowHandle(routeWorkflowId(routeId)).signal(routeStopEndedSignal, { stopId }).catch(() => undefined);
  return { stop_id: stopId, status: stop.status };
};
