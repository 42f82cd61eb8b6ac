/** Stops: create, list, read, patch, history, and lifecycle moves (each a Workflow Update). */
import type { UpdateDefinition } from '@temporalio/common';
import { type Request, Router } from 'express';
import { sql } from 'kysely';
import { assignmentProblem } from '../../common/drivers/assignment';
import { iso } from '../../common/iso';
import { idParam } from '../../common/schemas/primitives';
import { ACTION_SCHEMAS, stopCreateSchema, stopListQuerySchema, stopPatchSchema } from '../../common/schemas/stops';
import { STOP_FAILURES } from '../../common/stops/failures';
import { actionPath, isTerminal, TRANSITION_ACTIONS } from '../../common/stops/lifecycle';
import { toStopResource } from '../../common/stops/resource';
import { patchStopUpdate, stopTransitionUpdates, stopWorkflowId } from '../../common/temporal/stop-lifecycle';
import { sendStopUpdate } from '../../common/temporal/stop-moves';
import { insertNewStops } from '../../common/stops/insert';
import { raceAnswer } from '../../common/db/errors';
import { brokerTripIdTaken, externalRefTaken } from '../../common/stops/conflicts';
import type { StopRow } from '../../common/db/schema';
import { stopLifecycleWorkflow } from '../../workflows/stop-lifecycle';
import type { ApiContext } from '../context';
import { assertBrokerLinked } from '../broker-links';
import { ApiError, conflictFrom, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { decodeCursor, page } from '../pagination';
import { runUpdate, updateIdFor, withUpdateDeadline } from '../temporal-errors';
import { parseBody, parseId, parseQuery } from '../validate';

const stopIdSchema = idParam('stop');

export function stopRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;

  const loadStop = async (req: Request) => {
    const id = parseId(stopIdSchema, req.params.id, 'stop');
    const row = await db.selectFrom('stops').selectAll().where('id', '=', id).where('tenant_id', '=', authOf(req).tenantId).executeTakeFirst();
    if (!row) throw notFound('stop');
    return row;
  };

  const assertRefFree = async (tenantId: string, ref: string | null | undefined, exceptId?: string) => {
    if (!ref) return;
    let q = db.selectFrom('stops').select('id').where('tenant_id', '=', tenantId).where('external_ref', '=', ref);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const existing = await q.executeTakeFirst();
    if (existing) throw conflictFrom(externalRefTaken(ref));
  };

  const sendUpdate = <Arg, Ret>(req: Request, stop: StopRow, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> =>
    withUpdateDeadline(ctx, stopWorkflowId(stop.id), () =>
      sendStopUpdate(temporal, { taskQueue: config.taskQueues.lifecycle, workflow: stopLifecycleWorkflow, stop, updateId: updateIdFor(req) }, update, arg),
    );

  /**
   * A stop is created in one statement (row, history, `stop.created` event, its deliveries); its
   * first move, or the workers' lifecycle starter, starts its workflow. The request never waits
   * on Temporal, just like an import of one.
   */
  router.post('/stops', async (req, res) => {
    const { tenantId } = authOf(req);
    const data = parseBody(stopCreateSchema, req);
    // With an Idempotency-Key the id is derived from it: a retry after a crash finds the stop the
    // first request committed, and the external_ref it holds is its own, not a conflict.
    const stopId = createdIdFor(req, 'stop', tenantId);
    await assertBrokerLinked(db, tenantId, data.broker_id);
    if (req.idempotency) {
      const earlier = await db.selectFrom('stops').selectAll().where('id', '=', stopId).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (earlier) {
        res.status(201).location(`/v1/stops/${earlier.id}`).json(toStopResource(earlier));
        return;
      }
    }
    try {
      const [row] = await insertNewStops(db, tenantId, [{ id: stopId, data }], { source: 'api', geocoderUrl: config.geocoderUrl, defaultStopsPerDay: config.quotaDefaults.stops_per_day });
      res.status(201).location(`/v1/stops/${row!.id}`).json(toStopResource(row!));
    } catch (err) {
      // The unique indexes are the check: a second request, concurrent or not, gets the same 409.
      throw (
        (await raceAnswer(err, {
          stops_tenant_external_ref_key: () => conflictFrom(externalRefTaken(data.external_ref)),
          stops_broker_trip_key: () => conflictFrom(brokerTripIdTaken(data.broker_trip_id)),
        })) ?? err
      );
    }
  });

  router.get('/stops', async (req, res) => {
    const q = parseQuery(stopListQuerySchema, req);
    const after = decodeCursor(q.cursor, 'stop');
    let query = db.selectFrom('stops').selectAll().where('tenant_id', '=', authOf(req).tenantId);
    if (q.status) query = query.where('status', 'in', q.status);
    if (q.driver_id) query = query.where('driver_id', '=', q.driver_id);
    if (q.external_ref) query = query.where('external_ref', '=', q.external_ref);
    if (q.updated_since) query = query.where(sql`date_trunc('milliseconds', updated_at)`, '>', new Date(q.updated_since));
    if (after) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(q.limit + 1).execute();
    const { data, next_cursor } = page(rows, q.limit);
    res.json({ data: data.map(toStopResource), next_cursor });
  });

  router.get('/stops/:id', async (req, res) => {
    res.json(toStopResource(await loadStop(req)));
  });

  router.get('/stops/:id/history', async (req, res) => {
    const stop = await loadStop(req);
    const rows = await db.selectFrom('stop_history').selectAll().where('stop_id', '=', stop.id).orderBy('seq').execute();
    res.json({
      stop_id: stop.id,
      external_ref: stop.external_ref,
      history: rows.map((h) => ({
        from_status: h.from_status,
        to_status: h.to_status,
        changed_at: iso(h.changed_at),
        source: h.source,
        event_id: h.event_id,
      })),
    });
  });

  router.patch('/stops/:id', async (req, res) => {
    const stop = await loadStop(req);
    const patch = parseBody(stopPatchSchema, req);
    if (isTerminal(stop.status)) {
      throw new ApiError(409, 'conflict', `stop ${stop.id} is ${stop.status} and can no longer change`, { current_status: stop.status });
    }
    await assertRefFree(stop.tenant_id, patch.external_ref, stop.id);
    await assertBrokerLinked(db, stop.tenant_id, patch.broker_id);
    const updated = await runUpdate(`stop ${stop.id}`, stop.status, () => sendUpdate(req, stop, patchStopUpdate, patch));
    res.json(updated);
  });

  // One route per lifecycle action (`/stops/:id/pick-up`, …), so the router lists them all.
  for (const action of TRANSITION_ACTIONS) {
    router.post(`/stops/:id/${actionPath(action)}`, async (req, res) => {
      const stop = await loadStop(req);
      const payload = parseBody(ACTION_SCHEMAS[action], req);
      if (isTerminal(stop.status)) {
        throw new ApiError(409, 'conflict', `cannot ${action} a stop that is ${stop.status}`, { current_status: stop.status, action });
      }
      if (action === 'assign') {
        // Checked here for a quick answer; the transition's transaction checks again.
        const driverId = (payload as { driver_id: string }).driver_id;
        const driver = await db.selectFrom('drivers').select(['id', 'status', 'zone']).where('id', '=', driverId).where('tenant_id', '=', stop.tenant_id).executeTakeFirst();
        const problem = assignmentProblem(stop, driver, driverId);
        if (problem) {
          const status = STOP_FAILURES[problem.type];
          throw new ApiError(status, status === 409 ? 'conflict' : 'validation_error', problem.message, problem.details);
        }
      }
      const update = stopTransitionUpdates[action] as typeof stopTransitionUpdates.pick_up;
      const updated = await runUpdate(`stop ${stop.id}`, stop.status, () => sendUpdate(req, stop, update, payload as never));
      res.json(updated);
    });
  }

  return router;
}
