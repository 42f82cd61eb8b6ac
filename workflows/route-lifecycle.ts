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
  const loaded = await db.loadRoute(input);
  if (!loaded) return { route_id: routeId, status: 'missing' };
  let route: RouteResource = loaded;
  let stopsEnded = 0;
  let checkedAt = 0;
  const lock = new FifoLock();
  const show = (): void => setCurrentDetails(`${route.status}, ${route.stops.length} stops, driver ${route.driver_id}`);
  show();

  const settle = (r: RouteResult): RouteResource => {
    if (!r.ok) throw fail(r);
    route = r.route;
    show();
    return route;
  };
  const apply = (change: RouteChange) => db.applyRouteChange({ tenantId, routeId, seq: route.version + 1, change }).then(settle);
  const refuseUnless = (kind: RouteChangeKind): void => {
    if (!canChangeRoute(kind, route.status)) throw fail({ type: 'InvalidTransition', message: `cannot ${kind} a route that is ${route.status}`, details: { current_status: route.status, action: kind } });
  };
  /** Runs one change after every change accepted before it, re-checked against the route as it is then. */
  const change = (kind: RouteChangeKind, run: () => Promise<RouteResource>) =>
    lock.run(async () => {
      refuseUnless(kind);
      return run();
    });

  setHandler(routeStateQuery, () => route);
  setHandler(dispatchRouteUpdate, () => change('dispatch', async () => {
    settle(await dispatcher.assignRouteStops(input));
    return apply({ kind: 'dispatch' });
  }), { validator: () => refuseUnless('dispatch') });
  setHandler(startRouteUpdate, () => change('start', () => apply({ kind: 'start' })), { validator: () => refuseUnless('start') });
  setHandler(patchRouteUpdate, (patch) => change('patch', () => apply({ kind: 'patch', patch })), { validator: (_patch: RoutePatchInput) => refuseUnless('patch') });
  setHandler(deleteRouteUpdate, () => change('delete', () => apply({ kind: 'delete' })), { validator: () => refuseUnless('delete') });
  setHandler(routeStopEndedSignal, () => {
    stopsEnded++;
  });

  // Each time stops have ended since the last look, see whether the route is done.
  while (!isRouteOver(route.status)) {
    await condition(() => stopsEnded > checkedAt || isRouteOver(route.status));
    if (isRouteOver(route.status)) break;
    checkedAt = stopsEnded;
    await lock.run(async () => {
      if (canChangeRoute('complete', route.status)) await apply({ kind: 'complete' }).catch(() => undefined);
    });
  }
  await condition(allHandlersFinished);
  return { route_id: routeId, status: route.status };
};
