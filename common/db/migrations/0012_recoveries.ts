import { type Kysely, sql } from 'kysely';

/**
 * Recoveries and replays: what a subscriber asked to have sent again, and the deliveries that
 * answer it, in event order, each marked when it was handed back to the queue; and each try's
 * request as sent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_recoveries (
      id text primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      subscription_id text not null references webhook_subscriptions(id) on delete cascade,
      kind text not null check (kind in ('recover', 'replay')),
      since timestamptz,
      until timestamptz,
      status text not null check (status in ('running', 'completed', 'cancelled')),
      total int not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create index webhook_recoveries_tenant_idx on webhook_recoveries (tenant_id, id)`.execute(db);
  await sql`
    create table webhook_recovery_items (
      recovery_id text not null references webhook_recoveries(id) on delete cascade,
      delivery_id text not null references webhook_deliveries(id) on delete cascade,
      position bigint not null,
      requeued_at timestamptz,
      primary key (recovery_id, delivery_id)
    )`.execute(db);
  await sql`create index webhook_recovery_items_order_idx on webhook_recovery_items (recovery_id, position)`.execute(db);
  // Each try's request as it was sent (the console shows it), the bearer token of a dialect
  // that sends its secret as such left out.
  await sql`alter table webhook_attempts add column request_headers jsonb`.execute(db);
  await sql`alter table webhook_attempts add column request_body text`.execute(db);
}
