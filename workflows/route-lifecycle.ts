/**
 * One workflow per route (`route/<route id>`), alive until the route is completed or deleted.
 * Dispatch, start, rename/reorder and delete arrive as Workflow Updates and are applied one at a
 * time; a stop's workflow signals when one of the route's stops has ended, and the route
 * completes by itself once all have.
 */
import { allHandlersFinished, ApplicationFailure, condition, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { canChangeRoute, isRouteOver, type RouteChangeKind } from '../common/routes/lifecycle';
import type { RoutePatchInput, RouteResource } from '../common/schemas/routes';
import type { StopRejection } from '../common/stops/failures';
import {
  deleteRouteUpdate,
  dispatchRouteUpdate,
  patchRouteUpdate,
  type RouteActivities,
  type RouteChange,
  type RouteLifecycleWorkflow,
  type RouteResult,
  routeStateQuery,
  routeStopEndedSignal,
  startRouteUpdate,
} from '../common/temporal/route-lifecycle';
import { DATABASE_WRITES } from './database-writes';
import { FifoLock } from './fifo-lock';

const db = proxyLocalActivities<RouteActivities>(DATABASE_WRITES);
/** Assigning the stops talks to each stop's workflow: a durable activity, never inside a workflow task. */
const dispatcher = proxyActivities<RouteActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

const fail = (r: Omit<StopRejection, 'ok'>): ApplicationFailure =>
  ApplicationFailure.create({ type: r.type, message: r.message, details: [r.details], nonRetryable: true });

export const routeLifecycleWorkflow: RouteLifecycleWorkflow = async (input) => {
  const { tenantId, routeId } = input;
  /** Null until the first read; `missing` when there is no such route. */
  let route: RouteResource | null = null;
  let missing = false;
  let stopsEnded = 0;
  let checkedAt = 0;
  const lock = new FifoLock();
  const show = (): void => {
    if (route) setCurrentDetails(`${route.status}, ${route.stops.length} stops, driver ${route.driver_id}`);
  };

  const settle = (r: RouteResult): RouteResource => {
    if (!r.ok) throw fail(r);
    route = r.route;
    show();
    return route;
  };
  const apply = (current: RouteResource, change: RouteChange) => db.applyRouteChange({ tenantId, routeId, seq: current.version + 1, change }).then(settle);
  const refuseUnless = (kind: RouteChangeKind, current: RouteResource): void => {
    if (!canChangeRoute(kind, current.status)) throw fail({ type: 'InvalidTransition', message: `cannot ${kind} a route that is ${current.status}`, details: { current_status: current.status, action: kind } });
  };
  /**
   * Before the route is read (an Update that came with the start) there is nothing to judge
   * against: the validator lets it in and the handler judges it once the route is there.
   */
  const validate = (kind: RouteChangeKind) => (): void => {
    if (route) refuseUnless(kind, route);
  };
  /** Runs one change after every change accepted before it, re-checked against the route as it is then. */
  const change = (kind: RouteChangeKind, run: (current: RouteResource) => Promise<RouteResource>) =>
    lock.run(async () => {
      await condition(() => route !== null || missing);
      if (!route) throw fail({ type: 'RouteNotFound', message: `no route ${routeId}`, details: {} });
      refuseUnless(kind, route);
      return run(route);
    });

  // Every handler is registered before the first await, so an Update delivered with the
  // workflow's first task (Update-with-Start right after creation) finds its handler.
  setHandler(routeStateQuery, () => route);
  setHandler(dispatchRouteUpdate, () => change('dispatch', async () => {
    const assigned = settle(await dispatcher.assignRouteStops(input));
    return apply(assigned, { kind: 'dispatch' });
  }), { validator: validate('dispatch') });
  setHandler(startRouteUpdate, () => change('start', (r) => apply(r, { kind: 'start' })), { validator: validate('start') });
  setHandler(patchRouteUpdate, (patch) => change('patch', (r) => apply(r, { kind: 'patch', patch })), { validator: (_patch: RoutePatchInput) => validate('patch')() });
  setHandler(deleteRouteUpdate, () => change('delete', (r) => apply(r, { kind: 'delete' })), { validator: validate('delete') });
  setHandler(routeStopEndedSignal, () => {
    stopsEnded++;
  });

  const loaded = await db.loadRoute(input);
  if (!loaded) {
    missing = true;
    await condition(allHandlersFinished);
    return { route_id: routeId, status: 'missing' };
  }
  route = loaded;
  show();

  // Each time stops have ended since the last look, see whether the route is done.
  const over = (): boolean => isRouteOver(route!.status);
  while (!over()) {
    await condition(() => stopsEnded > checkedAt || over());
    if (over()) break;
    checkedAt = stopsEnded;
    await lock.run(async () => {
      if (canChangeRoute('complete', route!.status)) await apply(route!, { kind: 'complete' }).catch(() => undefined);
    });
  }
  await condition(allHandlersFinished);
  return { route_id: routeId, status: route.status };
};
