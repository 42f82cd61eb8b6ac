import { type Kysely, sql } from 'kysely';

/**
 * Every change to what a subscription receives (created, deleted, enabled, disabled, its dialect,
 * filter or schedule) sends a NOTIFY on `hub_subscriptions` with its owner's id, whoever wrote it
 * (the API, the recorder's auto-disable, `hub-admin`, a migration): each process's cache of
 * subscription plans (common/subscriptions/plan-cache.ts) drops that owner's entry. A try's counters
 * (`consecutive_failures`, `retry_wake_at`) change nothing cached and send nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function hub_subscription_changed() returns trigger language plpgsql as $$
    declare
      r webhook_subscriptions;
    begin
      if tg_op = 'DELETE' then r := old; else r := new; end if;
      perform pg_notify('hub_subscriptions', coalesce(r.tenant_id::text, r.partner_id::text, ''));
      return null;
    end $$`.execute(db);
  await sql`
    create trigger webhook_subscriptions_changed_write after insert or delete on webhook_subscriptions
    for each row execute function hub_subscription_changed()`.execute(db);
  await sql`
    create trigger webhook_subscriptions_changed_update after update on webhook_subscriptions
    for each row when (
      old.is_active is distinct from new.is_active or old.deleted_at is distinct from new.deleted_at
      or old.provider is distinct from new.provider or old.events is distinct from new.events
      or old.retry_schedule is distinct from new.retry_schedule
      or old.tenant_id is distinct from new.tenant_id or old.partner_id is distinct from new.partner_id
    ) execute function hub_subscription_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists webhook_subscriptions_changed_update on webhook_subscriptions`.execute(db);
  await sql`drop trigger if exists webhook_subscriptions_changed_write on webhook_subscriptions`.execute(db);
  await sql`drop function if exists hub_subscription_changed()`.execute(db);
}
