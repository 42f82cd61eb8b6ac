/**
 * Trips: the stops that name the calling partner as their broker, from every tenant, as the seed
 * shows them. Anything else (another broker's trip, a stop with no broker, an id that does not
 * exist) is the same 404 TRIP_NOT_FOUND.
 */
import { type Request, Router } from 'express';
import { sql } from 'kysely';
import { iso } from '../../../common/iso';
import { type HubStatusMatch, hubStatusesFor, isTripStatus, TRIP_STATUSES, tripStatusesOf, tripStatusOf } from '../../../common/partners/trip-status';
import { type TripSource, toTrip, tripDateSql, tripsOf } from '../../../common/partners/trips';
import { statusHistoryQuerySchema, tripGroupParam, tripGroupQuerySchema, tripIdParam, tripListQuerySchema } from '../../../common/schemas/partner';
import { text } from '../../../common/schemas/primitives';
import type { ApiContext } from '../../context';
import { ApiError, clip } from '../../errors';
import { partnerOf } from '../auth';
import { partnerParam, partnerQuery, tripNotFound } from '../errors';

type TripQuery = ReturnType<typeof tripsOf>;

interface TripFilters {
  statuses?: readonly HubStatusMatch[];
  trip_date_from?: string;
  trip_date_to?: string;
  broker_trip_id?: string;
  updated_since?: Date;
}

function filtered(query: TripQuery, f: TripFilters): TripQuery {
  let q = query;
  const { statuses } = f;
  if (statuses) {
    q = q.where((eb) =>
      eb.or([
        // Never true: no status matches when none was asked for.
        eb.lit(false),
        ...statuses.map((m) =>
          m.reasons ? eb.and([eb('s.status', '=', m.status), eb(sql<string>`coalesce(s.failure->>'reason', 'other')`, 'in', m.reasons)]) : eb('s.status', '=', m.status),
        ),
      ]),
    );
  }
  if (f.trip_date_from) q = q.where(tripDateSql, '>=', f.trip_date_from);
  if (f.trip_date_to) q = q.where(tripDateSql, '<=', f.trip_date_to);
  if (f.broker_trip_id) q = q.where('s.broker_trip_id', '=', f.broker_trip_id);
  if (f.updated_since) q = q.where('s.updated_at', '>', f.updated_since);
  return q;
}

/** `status=assigned,in_progress` → the hub statuses they cover; an unknown word is 400 INVALID_STATUS. */
function statusFilter(raw: string | undefined): HubStatusMatch[] | undefined {
  if (raw === undefined) return undefined;
  const words = raw.split(',').map((w) => w.trim()).filter(Boolean);
  const invalid = words.filter((w) => !isTripStatus(w));
  if (invalid.length || words.length === 0) {
    throw new ApiError(400, 'invalid_status', `Invalid status value: ${clip(invalid.join(',') || raw, 100)}. Allowed: ${TRIP_STATUSES.join(', ')}`, {
      invalid: invalid.slice(0, 10).map((w) => clip(w, 50)),
      allowed: TRIP_STATUSES,
    });
  }
  return hubStatusesFor(words.filter(isTripStatus));
}

async function pageOf(query: TripQuery, page: number, pageSize: number, billing: boolean) {
  const [rows, count] = await Promise.all([
    query.orderBy('s.trip_id').limit(pageSize).offset((page - 1) * pageSize).execute(),
    query.clearSelect().select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { items: rows.map((r) => toTrip(r, { billing })), total, page, page_size: pageSize, has_more: page * pageSize < total };
}

const seesBilling = (req: Request): boolean => partnerOf(req).scopes.includes('billing:read');

export function tripRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { db } = ctx;

  /** The partner's trip with this id, or 404 TRIP_NOT_FOUND. */
  const loadTrip = async (req: Request): Promise<TripSource> => {
    const id = partnerParam(tripIdParam, req, 'trip_id');
    const row = await tripsOf(db, partnerOf(req).partnerId).where('s.trip_id', '=', id).executeTakeFirst();
    if (!row) throw tripNotFound(`id ${id}`);
    return row;
  };

  router.get('/trips', async (req, res) => {
    const q = partnerQuery(tripListQuerySchema, req);
    const query = filtered(tripsOf(db, partnerOf(req).partnerId), { ...q, statuses: statusFilter(q.status) });
    res.json(await pageOf(query, q.page, q.page_size, seesBilling(req)));
  });

  router.get('/trips/by-external-id/:broker_trip_id', async (req, res) => {
    const ref = text(200).safeParse(req.params.broker_trip_id);
    const row = ref.success ? await tripsOf(db, partnerOf(req).partnerId).where('s.broker_trip_id', '=', ref.data).executeTakeFirst() : undefined;
    if (!row) throw tripNotFound(`broker_trip_id ${String(req.params.broker_trip_id)}`);
    res.json(toTrip(row, { billing: seesBilling(req) }));
  });

  router.get('/trips/by-group/:group', async (req, res) => {
    const group = partnerParam(tripGroupParam, req, 'group');
    const q = partnerQuery(tripGroupQuerySchema, req);
    const query = filtered(tripsOf(db, partnerOf(req).partnerId), { ...q, statuses: hubStatusesFor(tripStatusesOf(group)) });
    res.json({ group, ...(await pageOf(query, q.page, q.page_size, seesBilling(req))) });
  });

  router.get('/trips/:trip_id', async (req, res) => {
    res.json(toTrip(await loadTrip(req), { billing: seesBilling(req) }));
  });

  router.get('/trips/:trip_id/status-history', async (req, res) => {
    const trip = await loadTrip(req);
    const q = partnerQuery(statusHistoryQuerySchema, req);
    let query = db.selectFrom('stop_history').select(['from_status', 'to_status', 'changed_at', 'source']).where('stop_id', '=', trip.id);
    if (q.from_date) query = query.where('changed_at', '>=', q.from_date);
    if (q.to_date) query = query.where('changed_at', '<=', q.to_date);
    const rows = await query.orderBy('seq').execute();
    res.json({
      trip_id: Number(trip.trip_id),
      broker_trip_id: trip.broker_trip_id,
      history: rows.map((h) => ({
        from_status: h.from_status === null ? null : tripStatusOf(h.from_status),
        to_status: tripStatusOf(h.to_status, trip.failure_reason),
        changed_at: iso(h.changed_at),
        source: h.source,
      })),
    });
  });

  return router;
}
