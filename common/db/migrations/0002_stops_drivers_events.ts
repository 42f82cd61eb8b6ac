import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Per-tenant event counter: taking the next position locks the tenant's row until commit, so
  // positions are handed out in commit order and a poller's cursor never skips a late commit.
  await db.schema.alterTable('tenants').addColumn('event_position', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('drivers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('zone', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('offline'))
    .addColumn('lat', 'double precision')
    .addColumn('lng', 'double precision')
    .addColumn('speed_mps', 'double precision')
    .addColumn('heading', 'double precision')
    .addColumn('battery_pct', 'double precision')
    .addColumn('location_updated_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('drivers_tenant_id_idx').on('drivers').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('stops')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('customer_name', 'text')
    .addColumn('phone', 'text')
    .addColumn('order_amount', sql`numeric(14,2)`)
    .addColumn('payment_method', 'text')
    .addColumn('time_window_from', 'timestamptz')
    .addColumn('time_window_to', 'timestamptz')
    .addColumn('notes', 'text')
    .addColumn('external_ref', 'text')
    .addColumn('zone', 'text')
    .addColumn('driver_id', 'text', (c) => c.references('drivers.id'))
    .addColumn('geocoded', 'jsonb')
    .addColumn('completion', 'jsonb')
    .addColumn('failure', 'jsonb')
    .addColumn('cancellation', 'jsonb')
    .addColumn('import_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stops_tenant_id_idx').on('stops').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('stops_driver_idx').on('stops').columns(['driver_id', 'status']).execute();
  await sql`create unique index stops_tenant_external_ref_key on stops (tenant_id, external_ref) where external_ref is not null`.execute(db);

  await db.schema
    .createTable('stop_history')
    .addColumn('stop_id', 'text', (c) => c.notNull().references('stops.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('stop_history_pkey', ['stop_id', 'seq'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer')
    .addColumn('previous_status', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('dispatched_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('events_tenant_position_key').unique().on('events').columns(['tenant_id', 'position']).execute();
  await db.schema.createIndex('events_subject_idx').on('events').columns(['subject_id', 'sequence']).execute();
  await sql`create index events_undispatched_idx on events (created_at) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['events', 'stop_history', 'stops', 'drivers']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('tenants').dropColumn('event_position').execute();
}
