/** A route as the REST API and its events show it: with its driver and its stops in order. */
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from '../db/connect';
import { iso } from '../iso';
import type { RouteResource } from '../schemas/routes';

/** The tenant's routes (deleted ones are gone), each with its driver and ordered stops: one query. */
export function routesOf(db: Db, tenantId: string) {
  return db
    .selectFrom('routes as r')
    .selectAll('r')
    .select((eb) => [
      jsonObjectFrom(eb.selectFrom('drivers as d').select(['d.id', 'd.name']).whereRef('d.id', '=', 'r.driver_id')).as('driver'),
      jsonArrayFrom(
        eb
          .selectFrom('route_stops as rs')
          .innerJoin('stops as s', 's.id', 'rs.stop_id')
          .select(['rs.stop_id', 'rs.position', 's.status', 's.address', 's.customer_name'])
          .whereRef('rs.route_id', '=', 'r.id')
          .orderBy('rs.position'),
      ).as('stops'),
    ])
    .where('r.tenant_id', '=', tenantId)
    .where('r.status', '!=', 'deleted');
}

type RouteSource = Awaited<ReturnType<ReturnType<typeof routesOf>['executeTakeFirstOrThrow']>>;

export function toRouteResource(row: RouteSource): RouteResource {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    driver_id: row.driver_id,
    driver: row.driver ?? { id: row.driver_id, name: '' },
    stops: row.stops.map((s) => ({ stop_id: s.stop_id, position: s.position, status: s.status as RouteResource['stops'][number]['status'], address: s.address, customer_name: s.customer_name })),
    version: row.version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    dispatched_at: iso(row.dispatched_at),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
  };
}

export async function loadRoute(db: Db, tenantId: string, routeId: string): Promise<RouteResource | null> {
  const row = await routesOf(db, tenantId).where('r.id', '=', routeId).executeTakeFirst();
  return row ? toRouteResource(row) : null;
}
