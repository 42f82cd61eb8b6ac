/**
 * Routes: a driver's ordered run of stops. Creation is one transaction (route, its stops, the
 * `route.created` event) and starts the route's workflow; every later change is a Workflow Update
 * to `route/<id>`, which owns the lifecycle.
 */
import { type UpdateDefinition } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type Request, Router } from 'express';
import type { Db } from '../../common/db/connect';
import { raceAnswer } from '../../common/db/errors';
import { appendEvents } from '../../common/events/append';
import { routeEventId } from '../../common/routes/lifecycle';
import { loadRoute, routesOf, toRouteResource } from '../../common/routes/resource';
import { emptyBody, idParam } from '../../common/schemas/primitives';
import { routeCreateSchema, routeListQuerySchema, routePatchSchema, type RouteResource } from '../../common/schemas/routes';
import { isTerminal } from '../../common/stops/lifecycle';
import {
  deleteRouteUpdate,
  dispatchRouteUpdate,
  patchRouteUpdate,
  routeWorkflowId,
  routeWorkflowOptions,
  startRouteUpdate,
} from '../../common/temporal/route-lifecycle';
import { routeLifecycleWorkflow } from '../../workflows/route-lifecycle';
import type { ApiContext } from '../context';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { decodeCursor, page } from '../pagination';
import { runUpdate, updateIdFor, withUpdateDeadline } from '../temporal-errors';
import { parseBody, parseId, parseQuery } from '../validate';

const routeIdSchema = idParam('rte');

export function routeRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;

  const loadOwn = async (req: Request): Promise<RouteResource> => {
    const id = parseId(routeIdSchema, req.params.id, 'route');
    const route = await loadRoute(db, authOf(req).tenantId, id);
    if (!route) throw notFound('route');
    return route;
  };

  /** Sends a change to the route's workflow (starting it if it is not running yet). */
  const sendUpdate = <Arg extends unknown[]>(req: Request, route: RouteResource, update: UpdateDefinition<RouteResource, Arg>, ...args: Arg): Promise<RouteResource> =>
    withUpdateDeadline(ctx, routeWorkflowId(route.id), () =>
      runUpdate(`route ${route.id}`, route.status, () =>
        temporal.workflow.executeUpdateWithStart(update, {
          args,
          updateId: updateIdFor(req),
          startWorkflowOperation: new WithStartWorkflowOperation(routeLifecycleWorkflow, routeWorkflowOptions(config.taskQueues.lifecycle, { tenantId: authOf(req).tenantId, routeId: route.id })),
        }),
      ),
    );

  /** The 409 for stops that are on a route already, naming each stop's route; null when none is. */
  const onRouteAlready = async (q: Db, stopIds: readonly string[]): Promise<ApiError | null> => {
    const routed = await q.selectFrom('route_stops').select(['stop_id', 'route_id']).where('stop_id', 'in', stopIds).orderBy('stop_id').limit(20).execute();
    return routed.length ? conflict('a stop is on one route at a time', { field: 'stop_ids', stops: routed }) : null;
  };

  router.post('/routes', async (req, res) => {
    const { tenantId } = authOf(req);
    const body = parseBody(routeCreateSchema, req);
    const routeId = createdIdFor(req, 'rte', tenantId);
    const existing = req.idempotency ? await loadRoute(db, tenantId, routeId) : null;
    if (existing) {
      res.status(201).location(`/v1/routes/${existing.id}`).json(existing);
      return;
    }
    const driver = await db.selectFrom('drivers').select('id').where('id', '=', body.driver_id).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!driver) throw badRequest(`no driver ${body.driver_id}`, { field: 'driver_id', value: body.driver_id });

    const route = await db
      .transaction()
      .execute(async (trx) => {
        // The stops are locked first, in id order (two routes naming the same stops cannot
        // deadlock), and only then is their route looked up, by a statement of its own: one that
        // sees the route a concurrent request committed while this one waited for the locks.
        const stops = await trx.selectFrom('stops').select(['id', 'status']).where('tenant_id', '=', tenantId).where('id', 'in', body.stop_ids).orderBy('id').forUpdate().execute();
        const found = new Set(stops.map((s) => s.id));
        const missing = body.stop_ids.filter((id) => !found.has(id));
        if (missing.length) throw badRequest(`no stop ${missing[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, { field: 'stop_ids', value: missing.slice(0, 20) });
        const ended = stops.filter((s) => isTerminal(s.status));
        if (ended.length) throw conflict('a route can only hold stops that have not ended', { field: 'stop_ids', stops: ended.slice(0, 20).map((s) => ({ stop_id: s.id, status: s.status })) });
        const routed = await onRouteAlready(trx, body.stop_ids);
        if (routed) throw routed;

        await trx.insertInto('routes').values({ id: routeId, tenant_id: tenantId, driver_id: body.driver_id, name: body.name ?? null, status: 'planned', version: 1 }).execute();
        await trx.insertInto('route_stops').values(body.stop_ids.map((stopId, i) => ({ route_id: routeId, stop_id: stopId, position: i + 1 }))).execute();
        const created = (await loadRoute(trx, tenantId, routeId))!;
        await appendEvents(trx, tenantId, [{ id: routeEventId(routeId, 1), type: 'route.created', subjectType: 'route', subjectId: routeId, sequence: 1, previousStatus: null, payload: created }]);
        return created;
      })
      .catch(async (err: unknown) => {
        // Every writer of route_stops locks the stops first, so the check above sees the winner;
        // should a write still meet another route's row, it gets the check's answer all the same.
        throw (await raceAnswer(err, { route_stops_pkey: () => onRouteAlready(db, body.stop_ids) })) ?? err;
      });
    // The workflow owns the route from here; if Temporal is away, the first change starts it.
    await temporal.workflow.start(routeLifecycleWorkflow, routeWorkflowOptions(config.taskQueues.lifecycle, { tenantId, routeId })).catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) ctx.logger.warn({ err, route_id: routeId }, 'route workflow not started; its first change will start it');
    });
    res.status(201).location(`/v1/routes/${route.id}`).json(route);
  });

  router.get('/routes', async (req, res) => {
    const q = parseQuery(routeListQuerySchema, req);
    const after = decodeCursor(q.cursor, 'rte');
    let query = routesOf(db, authOf(req).tenantId);
    if (q.status) query = query.where('r.status', '=', q.status);
    if (q.driver_id) query = query.where('r.driver_id', '=', q.driver_id);
    if (after) query = query.where('r.id', '>', after);
    const { data, next_cursor } = page(await query.orderBy('r.id').limit(q.limit + 1).execute(), q.limit);
    res.json({ data: data.map(toRouteResource), next_cursor });
  });

  router.get('/routes/:id', async (req, res) => {
    res.json(await loadOwn(req));
  });

  router.patch('/routes/:id', async (req, res) => {
    const route = await loadOwn(req);
    const patch = parseBody(routePatchSchema, req);
    res.json(await sendUpdate(req, route, patchRouteUpdate, patch));
  });

  for (const [action, update] of [['dispatch', dispatchRouteUpdate], ['start', startRouteUpdate]] as const) {
    router.post(`/routes/:id/${action}`, async (req, res) => {
      const route = await loadOwn(req);
      parseBody(emptyBody, req);
      res.json(await sendUpdate(req, route, update));
    });
  }

  router.delete('/routes/:id', async (req, res) => {
    const route = await loadOwn(req);
    parseBody(emptyBody, req);
    res.json(await sendUpdate(req, route, deleteRouteUpdate));
  });

  return router;
}
