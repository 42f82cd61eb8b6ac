/**
 * Route writes. A change is applied in one transaction with its event (deterministic id), only
 * on top of the version it was computed from, so a retried activity finds its own work done.
 * Dispatch gives each stop to the driver through the stop's own workflow, so every stop change
 * still goes through the one place that owns it.
 */
import { assignmentProblem } from '../common/drivers/assignment';
import { appendEvents } from '../common/events/append';
import { deterministicId } from '../common/ids';
import { inParallel } from '../common/in-parallel';
import { canChangeRoute, ROUTE_CHANGES, routeEventId } from '../common/routes/lifecycle';
import { loadRoute } from '../common/routes/resource';
import type { RouteResource } from '../common/schemas/routes';
import { isTerminal } from '../common/stops/lifecycle';
import type { StopRejection } from '../common/stops/failures';
import type { RouteActivities, RouteChange, RouteResult } from '../common/temporal/route-lifecycle';
import { stopTransitionUpdates } from '../common/temporal/stop-lifecycle';
import { sendStopUpdate } from '../common/temporal/stop-moves';
import { stopLifecycleWorkflow } from '../workflows/stop-lifecycle';
import type { ActivityDeps } from './deps';

const notFound = (routeId: string): StopRejection => ({ ok: false, type: 'RouteNotFound', message: `no route ${routeId}`, details: {} });

const DISPATCH_CONCURRENCY = 8;

/** The column that records when a route reached each status. */
const STAMP_COLUMN = { dispatched: 'dispatched_at', started: 'started_at', completed: 'completed_at', deleted: 'deleted_at' } as const;

/** Why each stop of the route cannot be given to its driver (empty when all can). */
type StopProblem = { stop_id: string; reason: string; message: string };

export function routeActivities({ db, temporal, config }: ActivityDeps): RouteActivities {
  return {
    loadRoute: ({ tenantId, routeId }) => loadRoute(db, tenantId, routeId),

    async assignRouteStops({ tenantId, routeId }) {
      const route = await db.selectFrom('routes').selectAll().where('id', '=', routeId).where('tenant_id', '=', tenantId).where('status', '!=', 'deleted').executeTakeFirst();
      if (!route) return notFound(routeId);
      const driver = await db.selectFrom('drivers').select(['id', 'status', 'zone']).where('id', '=', route.driver_id).executeTakeFirst();
      const stops = await db
        .selectFrom('route_stops as rs')
        .innerJoin('stops as s', 's.id', 'rs.stop_id')
        .selectAll('s')
        .where('rs.route_id', '=', routeId)
        .orderBy('rs.position')
        .execute();
      const problems: StopProblem[] = [];
      const toAssign = stops.filter((s) => {
        if (s.status === 'assigned' && s.driver_id === route.driver_id) return false;
        if (s.status !== 'pending') {
          problems.push({ stop_id: s.id, reason: 'invalid_status', message: `stop ${s.id} is ${s.status}` });
          return false;
        }
        const problem = assignmentProblem(s, driver ?? undefined, route.driver_id);
        if (problem) problems.push({ stop_id: s.id, reason: String(problem.details.reason ?? problem.type), message: problem.message });
        return !problem;
      });
      if (problems.length === 0) {
        // A few at a time: each is an Update to its own stop's workflow.
        await inParallel(toAssign, DISPATCH_CONCURRENCY, async (stop) => {
          try {
            await sendStopUpdate(
              temporal,
              // One update id per route, version and stop: a retried dispatch joins its first try.
              { taskQueue: config.taskQueues.lifecycle, workflow: stopLifecycleWorkflow, stop, updateId: deterministicId('upd', routeId, 'dispatch', String(route.version), stop.id) },
              stopTransitionUpdates.assign,
              { driver_id: route.driver_id },
            );
          } catch (err) {
            // The stop moved between the check and its assignment; say which, as the check would.
            const cause = (err as Error).cause;
            problems.push({ stop_id: stop.id, reason: 'assignment_refused', message: cause instanceof Error ? cause.message : (err as Error).message });
          }
        });
      }
      if (problems.length) {
        return { ok: false, type: 'RouteNotDispatchable', message: `${problems.length} of the route's stops cannot be given to driver ${route.driver_id}`, details: { stops: problems } };
      }
      const current = await loadRoute(db, tenantId, routeId);
      return current ? { ok: true, route: current } : notFound(routeId);
    },

    async applyRouteChange({ tenantId, routeId, seq, change }) {
      return db.transaction().execute(async (trx): Promise<RouteResult> => {
        const row = await trx.selectFrom('routes').selectAll().where('id', '=', routeId).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
        if (!row) return notFound(routeId);
        const before = await loadRoute(trx, tenantId, routeId);
        if (row.version >= seq) return before ? { ok: true, route: before } : { ok: false, type: 'RouteNotFound', message: `route ${routeId} was deleted`, details: {} };
        if (row.version !== seq - 1) return { ok: false, type: 'Conflict', message: 'the route changed underneath this request', details: { version: row.version } };
        if (!before || !canChangeRoute(change.kind, row.status)) {
          return { ok: false, type: 'InvalidTransition', message: `cannot ${change.kind} a route that is ${row.status}`, details: { current_status: row.status, action: change.kind } };
        }
        const rule = ROUTE_CHANGES[change.kind];
        // A route completes only once every one of its stops has ended; until then this is a no-op.
        if (change.kind === 'complete' && !before.stops.every((s) => isTerminal(s.status))) return { ok: true, route: before };
        const problem = await writeChange(trx, before, change);
        if (problem) return problem;
        const now = new Date();
        const stamp = rule.to && rule.to !== 'planned' ? { [STAMP_COLUMN[rule.to]]: now } : {};
        await trx
          .updateTable('routes')
          .set({ ...(rule.to ? { status: rule.to } : {}), ...stamp, version: seq, updated_at: now })
          .where('id', '=', routeId)
          .execute();
        const after: RouteResource =
          change.kind === 'delete' ? { ...before, status: 'deleted', version: seq } : ((await loadRoute(trx, tenantId, routeId)) ?? before);
        if (change.kind === 'delete') await trx.deleteFrom('route_stops').where('route_id', '=', routeId).execute();
        await appendEvents(trx, tenantId, [
          { id: routeEventId(routeId, seq), type: rule.event, subjectType: 'route', subjectId: routeId, sequence: seq, previousStatus: row.status, payload: after },
        ]);
        return { ok: true, route: after };
      });
    },
  };
}

/** The row changes of a rename or reorder; other changes only move the status. */
async function writeChange(trx: Parameters<typeof loadRoute>[0], route: RouteResource, change: RouteChange): Promise<StopRejection | null> {
  if (change.kind !== 'patch') return null;
  const { name, stop_ids } = change.patch;
  if (name !== undefined) await trx.updateTable('routes').set({ name }).where('id', '=', route.id).execute();
  if (stop_ids) {
    const current = new Set(route.stops.map((s) => s.stop_id));
    if (stop_ids.length !== current.size || !stop_ids.every((id) => current.has(id))) {
      return { ok: false, type: 'InvalidInput', message: "stop_ids must name the route's stops exactly, in their new order", details: { field: 'stop_ids' } };
    }
    // The unique (route, position) check is deferred to commit, so positions can swap.
    for (const [i, stopId] of stop_ids.entries()) {
      await trx.updateTable('route_stops').set({ position: i + 1 }).where('route_id', '=', route.id).where('stop_id', '=', stopId).execute();
    }
  }
  return null;
}
