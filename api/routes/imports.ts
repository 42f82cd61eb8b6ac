/** Bulk import: all or nothing, up to 500 stops, one workflow per import. */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { Router } from 'express';
import { deterministicId } from '../../common/ids';
import { iso } from '../../common/iso';
import { precheckImport } from '../../common/quotas';
import { idParam } from '../../common/schemas/primitives';
import { MAX_BULK_STOPS, stopCreateSchema, type StopCreateInput } from '../../common/schemas/stops';
import { importCommittedUpdate, importWorkflowId, importWorkflowOptions } from '../../common/temporal/bulk-import';
import { bulkImportWorkflow } from '../../workflows/bulk-import';
import type { ApiContext } from '../context';
import { assertBrokersLinked } from '../broker-links';
import { ApiError, conflict, conflictFrom, type FieldError, fieldErrors, listedErrors, notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { importValuesTaken } from '../../common/stops/conflicts';
import { updateIdFor, withUpdateDeadline } from '../temporal-errors';
import { parseId } from '../validate';
import type { ImportResource } from '../../common/schemas/imports';

export function importRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db, temporal, config } = ctx;

  router.post('/stops/bulk', async (req, res) => {
    const { tenantId } = authOf(req);
    const body: unknown = req.body;
    if (!Array.isArray(body)) throw new ApiError(400, 'validation_error', 'the body must be a JSON array of stops', { field: '(body)' });
    if (body.length === 0) throw new ApiError(400, 'validation_error', 'the array is empty; give 1 to 500 stops', { field: '(body)', count: 0 });
    if (body.length > MAX_BULK_STOPS) {
      throw new ApiError(413, 'payload_too_large', `at most ${MAX_BULK_STOPS} stops per import; got ${body.length}`, { count: body.length, max: MAX_BULK_STOPS });
    }

    // Every item is checked before anything is written; the 400 lists every bad item.
    const errors: (FieldError & { index: number })[] = [];
    const items: StopCreateInput[] = [];
    body.forEach((item, index) => {
      const parsed = stopCreateSchema.safeParse(item);
      if (parsed.success) items.push(parsed.data);
      else errors.push(...fieldErrors(parsed.error, item).map((e) => ({ index, ...e })));
    });
    if (errors.length) {
      const invalid = [...new Set(errors.map((e) => e.index))];
      throw new ApiError(400, 'validation_error', `${invalid.length} of ${body.length} stops are invalid; nothing was imported`, {
        invalid_items: invalid,
        ...listedErrors(errors),
      });
    }

    // Values the batch repeats itself: 409 naming every index, before any stored stop is looked at.
    const repeated = <K>(keyOf: (s: StopCreateInput) => string | null, describe: (s: StopCreateInput) => K) => {
      const indexes = new Map<string, number[]>();
      items.forEach((s, i) => {
        const k = keyOf(s);
        if (k !== null) indexes.set(k, [...(indexes.get(k) ?? []), i]);
      });
      return [...indexes.values()].filter((at) => at.length > 1).map((at) => ({ ...describe(items[at[0]!]!), indexes: at }));
    };
    const refs = repeated((s) => s.external_ref ?? null, (s) => ({ external_ref: s.external_ref }));
    if (refs.length) throw conflict('the batch repeats an external_ref; nothing was imported', { reason: 'duplicate_external_ref', duplicates: refs });
    // A broker's trip ids are unique per broker (a trip id with no broker is only a label).
    const trips = repeated(
      (s) => (s.broker_id && s.broker_trip_id ? `${s.broker_id.toLowerCase()} ${s.broker_trip_id}` : null),
      (s) => ({ broker_id: s.broker_id, broker_trip_id: s.broker_trip_id }),
    );
    if (trips.length) throw conflict('the batch repeats a broker_trip_id for one broker; nothing was imported', { reason: 'duplicate_broker_trip_id', duplicates: trips });
    await assertBrokersLinked(db, tenantId, items);
    // With an Idempotency-Key the import id comes from it: a retried batch joins the same import,
    // and the stops already holding its external_refs are its own.
    const importId = createdIdFor(req, 'imp', tenantId);
    // The import's activity answers a race lost to a concurrent import with this same check.
    const taken = await importValuesTaken(db, tenantId, importId, items);
    if (taken) throw conflictFrom(taken);

    await precheckImport(db, config.quotaDefaults, tenantId, importId, items.length);

    const stops = items.map((data, i) => ({ id: deterministicId('stop', importId, String(i)), data }));
    const committed = await withUpdateDeadline(ctx, importWorkflowId(importId), () =>
      temporal.workflow.executeUpdateWithStart(importCommittedUpdate, {
        updateId: updateIdFor(req),
        startWorkflowOperation: new WithStartWorkflowOperation(bulkImportWorkflow, importWorkflowOptions(config.taskQueues.background, { tenantId, importId, stops })),
      }),
    );
    res.status(201).location(`/v1/imports/${importId}`).json(committed);
  });

  router.get('/imports/:id', async (req, res) => {
    const id = parseId(idParam('imp'), req.params.id, 'import');
    const row = await db.selectFrom('imports').selectAll().where('id', '=', id).where('tenant_id', '=', authOf(req).tenantId).executeTakeFirst();
    if (!row) throw notFound('import');
    // Progress is where the stops are: the workers' lifecycle starter starts their workflows.
    const started = await db
      .selectFrom('stops')
      .select(({ fn }) => [fn.count<string>('lifecycle_started_at').as('n'), fn.max('lifecycle_started_at').as('last')])
      .where('import_id', '=', row.id)
      .executeTakeFirstOrThrow();
    const workflowsStarted = Number(started.n);
    const done = workflowsStarted >= row.count;
    const progress: ImportResource = {
      import_id: row.id,
      status: done ? 'completed' : workflowsStarted > 0 ? 'starting' : 'committed',
      count: row.count,
      workflows_started: workflowsStarted,
      // The created events commit with the stops, and their deliveries are queued in that
      // same transaction.
      events_dispatched: row.count,
      created_at: iso(row.created_at),
      committed_at: iso(row.committed_at),
      completed_at: done && started.last ? iso(started.last) : null,
    };
    res.json(progress);
  });

  return router;
}
