import { type Kysely, sql } from 'kysely';

/**
 * Brokers (partners): who they are, which tenants may hand them stops, their API keys, the
 * stops that name them, their webhook subscriptions and deliveries, and their own event feed
 * (commit-ordered per partner, one row per event and Naveera name).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table partners (
      id uuid primary key,
      name text not null,
      tier text not null check (tier in ('standard', 'premium', 'enterprise')),
      event_position bigint not null default 0,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table partner_links (
      partner_id uuid not null references partners(id) on delete cascade,
      tenant_id text not null references tenants(id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (partner_id, tenant_id)
    )`.execute(db);
  // The key id (nvr_pk_…) is public; only the secret's SHA-256 is stored.
  await sql`
    create table partner_keys (
      id text primary key,
      credential_id uuid not null unique,
      partner_id uuid not null references partners(id) on delete cascade,
      name text not null,
      secret_hash text not null,
      scopes text[] not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);

  // Brokers know a stop as a trip with an integer id.
  await sql`alter table stops add column trip_id bigint generated always as identity`.execute(db);
  await sql`create unique index stops_trip_id_key on stops (trip_id)`.execute(db);
  await sql`alter table stops add column broker_id uuid references partners(id)`.execute(db);
  await sql`alter table stops add column broker_trip_id text`.execute(db);
  await sql`create unique index stops_broker_trip_key on stops (broker_id, broker_trip_id) where broker_trip_id is not null`.execute(db);
  await sql`create index stops_broker_idx on stops (broker_id, trip_id) where broker_id is not null`.execute(db);

  // A subscription, and a delivery, belongs to a tenant or to a partner.
  await sql`alter table webhook_subscriptions alter column tenant_id drop not null`.execute(db);
  await sql`alter table webhook_subscriptions add column partner_id uuid references partners(id) on delete cascade`.execute(db);
  await sql`alter table webhook_subscriptions add constraint webhook_subscriptions_owner check ((tenant_id is null) <> (partner_id is null))`.execute(db);
  await sql`create index webhook_subscriptions_partner_idx on webhook_subscriptions (partner_id, id) where partner_id is not null`.execute(db);
  await sql`alter table webhook_deliveries alter column tenant_id drop not null`.execute(db);
  await sql`alter table webhook_deliveries add column partner_id uuid`.execute(db);
  await sql`alter table webhook_deliveries add constraint webhook_deliveries_owner check ((tenant_id is null) <> (partner_id is null))`.execute(db);
  // Partners know deliveries by an integer id.
  await sql`alter table webhook_deliveries add column number bigint generated always as identity`.execute(db);
  await sql`create unique index webhook_deliveries_number_key on webhook_deliveries (number)`.execute(db);
  await sql`create index webhook_deliveries_partner_idx on webhook_deliveries (partner_id, created_at) where partner_id is not null`.execute(db);

  await sql`
    create table partner_events (
      partner_id uuid not null references partners(id) on delete cascade,
      position bigint not null,
      event_id text not null references events(id) on delete cascade,
      name text not null,
      message_id text not null,
      primary key (partner_id, position)
    )`.execute(db);
  await sql`create index partner_events_event_idx on partner_events (event_id)`.execute(db);

  // Stored answers belong to whoever sent the key: a tenant or a partner.
  await sql`alter table idempotency_keys drop constraint idempotency_keys_tenant_id_fkey`.execute(db);
  await sql`alter table idempotency_keys rename column tenant_id to owner_id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table idempotency_keys rename column owner_id to tenant_id`.execute(db);
  await sql`drop table partner_events`.execute(db);
  await sql`delete from webhook_deliveries where partner_id is not null`.execute(db);
  await sql`alter table webhook_deliveries drop column number, drop column partner_id`.execute(db);
  await sql`alter table webhook_deliveries alter column tenant_id set not null`.execute(db);
  await sql`delete from webhook_subscriptions where partner_id is not null`.execute(db);
  await sql`alter table webhook_subscriptions drop column partner_id`.execute(db);
  await sql`alter table webhook_subscriptions alter column tenant_id set not null`.execute(db);
  await sql`alter table stops drop column broker_trip_id, drop column broker_id, drop column trip_id`.execute(db);
  await sql`drop table partner_keys`.execute(db);
  await sql`drop table partner_links`.execute(db);
  await sql`drop table partners`.execute(db);
}
