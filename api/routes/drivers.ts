/** Drivers: create, list, read, online/offline (with events), location, and the live view. */
import { type Request, Router } from 'express';
import { sql } from 'kysely';
import { announceEtaIfMoved, currentStopOf, etaToStop } from '../../common/drivers/eta-events';
import { toDriverResource } from '../../common/drivers/resource';
import { appendEvents } from '../../common/events/append';
import { newId } from '../../common/ids';
import { iso } from '../../common/iso';
import { emptyBody } from '../../common/schemas/primitives';
import {
  driverCreateSchema,
  driverIdSchema,
  driverListQuerySchema,
  driverLocationSchema,
  type DriverLive,
} from '../../common/schemas/drivers';
import type { ApiContext } from '../context';
import { notFound } from '../errors';
import { authOf } from '../middleware/auth';
import { createdIdFor } from '../middleware/idempotency';
import { decodeCursor, page } from '../pagination';
import { parseBody, parseId, parseQuery } from '../validate';

export function driverRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db } = ctx;

  const loadDriver = async (req: Request) => {
    const id = parseId(driverIdSchema, req.params.id, 'driver');
    const row = await db.selectFrom('drivers').selectAll().where('id', '=', id).where('tenant_id', '=', authOf(req).tenantId).executeTakeFirst();
    if (!row) throw notFound('driver');
    return row;
  };

  router.post('/drivers', async (req, res) => {
    const body = parseBody(driverCreateSchema, req);
    const { tenantId } = authOf(req);
    const id = createdIdFor(req, 'drv', tenantId);
    // A keyed retry after a crash finds the driver its first attempt created.
    const row =
      (await db
        .insertInto('drivers')
        .values({ id, tenant_id: tenantId, name: body.name, phone: body.phone ?? null, zone: body.zone ?? null, status: 'offline' })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst()) ?? (await db.selectFrom('drivers').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow());
    res.status(201).location(`/v1/drivers/${row.id}`).json(toDriverResource(row));
  });

  router.get('/drivers', async (req, res) => {
    const q = parseQuery(driverListQuerySchema, req);
    const after = decodeCursor(q.cursor, 'drv');
    let query = db.selectFrom('drivers').selectAll().where('tenant_id', '=', authOf(req).tenantId);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.zone) query = query.where('zone', '=', q.zone);
    if (after) query = query.where('id', '>', after);
    const { data, next_cursor } = page(await query.orderBy('id').limit(q.limit + 1).execute(), q.limit);
    res.json({ data: data.map(toDriverResource), next_cursor });
  });

  router.get('/drivers/:id', async (req, res) => {
    res.json(toDriverResource(await loadDriver(req)));
  });

  // Going online/offline is an event only when it changes something; repeating it is a no-op.
  for (const status of ['online', 'offline'] as const) {
    router.post(`/drivers/:id/${status}`, async (req, res) => {
      const driver = await loadDriver(req);
      parseBody(emptyBody, req);
      const eventId = newId('evt');
      const row = await db.transaction().execute(async (trx) => {
        const changed = await trx
          .updateTable('drivers')
          .set({ status, updated_at: sql`now()` })
          .where('id', '=', driver.id)
          .where('status', '!=', status)
          .returningAll()
          .executeTakeFirst();
        if (!changed) return driver;
        await appendEvents(trx, driver.tenant_id, [
          { id: eventId, type: `driver.${status}`, subjectType: 'driver', subjectId: driver.id, previousStatus: driver.status, payload: toDriverResource(changed) },
        ]);
        return changed;
      });
      res.json(toDriverResource(row));
    });
  }

  router.post('/drivers/:id/location', async (req, res) => {
    const driver = await loadDriver(req);
    const loc = parseBody(driverLocationSchema, req);
    const row = await db
      .updateTable('drivers')
      .set({
        lat: loc.lat,
        lng: loc.lng,
        speed_mps: loc.speed_mps ?? null,
        heading: loc.heading ?? null,
        battery_pct: loc.battery_pct ?? driver.battery_pct,
        location_updated_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', driver.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await announceEtaIfMoved(db, row);
    res.json(toDriverResource(row));
  });

  router.get('/drivers/:id/live', async (req, res) => {
    const driver = await loadDriver(req);
    const current = await currentStopOf(db, driver.id);
    const live: DriverLive = {
      driver_id: driver.id,
      lat: driver.lat,
      lng: driver.lng,
      speed_mps: driver.speed_mps,
      heading: driver.heading,
      current_stop_id: current?.id ?? null,
      eta_minutes: etaToStop(driver, current),
      battery_pct: driver.battery_pct,
      updated_at: iso(driver.location_updated_at),
    };
    res.json(live);
  });

  return router;
}
