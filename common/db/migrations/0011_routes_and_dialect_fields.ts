import { type Kysely, sql } from 'kysely';

/**
 * What the dialects need beyond the drop-off: a pickup place, a fee in minor units and its
 * currency, the ETA last announced for a stop (to emit `stop.eta_updated` only when it moves),
 * and routes: a driver's ordered run of stops, a stop on at most one route at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table stops add column pickup_address text`.execute(db);
  await sql`alter table stops add column pickup_name text`.execute(db);
  await sql`alter table stops add column pickup_geocoded jsonb`.execute(db);
  await sql`alter table stops add column fee bigint`.execute(db);
  await sql`alter table stops add column currency text`.execute(db);
  await sql`alter table stops add column eta_at timestamptz`.execute(db);
  await sql`alter table stops add column eta_announced_at timestamptz`.execute(db);

  await sql`
    create table routes (
      id text primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      driver_id text not null references drivers(id),
      name text,
      status text not null check (status in ('planned', 'dispatched', 'started', 'completed', 'deleted')),
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      dispatched_at timestamptz,
      started_at timestamptz,
      completed_at timestamptz,
      deleted_at timestamptz
    )`.execute(db);
  await sql`create index routes_tenant_idx on routes (tenant_id, id)`.execute(db);
  // A stop is on one route at a time; a deleted route lets its stops go.
  await sql`
    create table route_stops (
      stop_id text primary key references stops(id) on delete cascade,
      route_id text not null references routes(id) on delete cascade,
      position int not null,
      unique (route_id, position) deferrable initially deferred
    )`.execute(db);
}
