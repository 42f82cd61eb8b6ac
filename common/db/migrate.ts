/** Runs the Kysely migrations on start. Migrations are listed here, in order, by static import. */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './migrations/0001_tenants_and_keys';
import * as m0002 from './migrations/0002_stops_drivers_events';
import * as m0003 from './migrations/0003_webhooks';
import * as m0004 from './migrations/0004_imports_idempotency';
import * as m0005 from './migrations/0005_rate_limits';
import * as m0006 from './migrations/0006_lifecycle_outbox';
import * as m0007 from './migrations/0007_sealed_idempotent_answers';
import * as m0008 from './migrations/0008_delivery_queue';
import * as m0009 from './migrations/0009_import_progress_from_stops';
import * as m0010 from './migrations/0010_partners';
import * as m0011 from './migrations/0011_routes_and_dialect_fields';
import * as m0012 from './migrations/0012_recoveries';
import * as m0013 from './migrations/0013_stop_picked_up_at';
import * as m0014 from './migrations/0014_tenant_quotas';
import * as m0015 from './migrations/0015_subscription_retry_timers';
import * as m0016 from './migrations/0016_delivery_claim_indexes';
import * as m0017 from './migrations/0017_due_retries_index';
import * as m0018 from './migrations/0018_rate_limit_leases';
import * as m0019 from './migrations/0019_subscription_change_notices';
import * as m0020 from './migrations/0020_delivery_name_column';

const migrations: Record<string, Migration> = {
  '0001_tenants_and_keys': m0001,
  '0002_stops_drivers_events': m0002,
  '0003_webhooks': m0003,
  '0004_imports_idempotency': m0004,
  '0005_rate_limits': m0005,
  '0006_lifecycle_outbox': m0006,
  '0007_sealed_idempotent_answers': m0007,
  '0008_delivery_queue': m0008,
  '0009_import_progress_from_stops': m0009,
  '0010_partners': m0010,
  '0011_routes_and_dialect_fields': m0011,
  '0012_recoveries': m0012,
  '0013_stop_picked_up_at': m0013,
  '0014_tenant_quotas': m0014,
  '0015_subscription_retry_timers': m0015,
  '0016_delivery_claim_indexes': m0016,
  '0017_due_retries_index': m0017,
  '0018_rate_limit_leases': m0018,
  '0019_subscription_change_notices': m0019,
  '0020_delivery_name_column': m0020,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
