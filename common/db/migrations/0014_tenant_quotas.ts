import { type Kysely, sql } from 'kysely';

/**
 * Isolation at scale: per-tenant quotas (null = the hub's default from the environment), a
 * per-tenant count of stops created each UTC day (bumped in the creating transaction, so the
 * quota never needs a count over the stops), and at most one running recovery per subscription.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants add column quota_stops_per_day int check (quota_stops_per_day >= 0)`.execute(db);
  await sql`alter table tenants add column quota_imports_in_flight int check (quota_imports_in_flight >= 0)`.execute(db);
  await sql`alter table tenants add column quota_recoveries_in_flight int check (quota_recoveries_in_flight >= 0)`.execute(db);
  await sql`
    create table tenant_stop_counts (
      tenant_id text not null references tenants(id) on delete cascade,
      day date not null,
      created int not null,
      primary key (tenant_id, day)
    )`.execute(db);
  // Imports in flight: those with stops whose lifecycle has not started. Only such stops are in
  // this index, and the lifecycle starter drains it, so counting them stays cheap.
  await sql`create index stops_import_unstarted_idx on stops (tenant_id, import_id) where import_id is not null and lifecycle_started_at is null`.execute(db);
  // Older duplicates of a subscription's running recoveries stop (their workflows see the status
  // and hand nothing more over), so the index below can hold.
  await sql`
    update webhook_recoveries r set status = 'cancelled', finished_at = now()
    where r.status = 'running' and exists (
      select 1 from webhook_recoveries n where n.subscription_id = r.subscription_id and n.status = 'running' and n.id > r.id)`.execute(db);
  await sql`create unique index webhook_recoveries_one_running_idx on webhook_recoveries (subscription_id) where status = 'running'`.execute(db);
  await sql`create index webhook_recoveries_running_tenant_idx on webhook_recoveries (tenant_id) where status = 'running'`.execute(db);
}
