/**
 * Webhook subscriptions as a store, for whoever owns them: a tenant (the /v1 API) or a partner
 * (the Partner API). Both APIs keep their own shapes and errors; the rules live here once: the
 * per-owner limit, the secret shown once and stored sealed, a keyed retry that finds what its
 * first attempt created, disabling or deleting stops pending deliveries, rotation keeps the old
 * secret signing for a while.
 */
import type { Client } from '@temporalio/client';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../db/connect';
import type { Database, SubscriptionRow } from '../db/schema';
import { SUBSCRIPTION_PLANS } from './plan-cache';
import { PROFILES, type ProviderName } from '../dialects/profiles';
import { generateSecret, type SecretBox } from './secrets';
import { stopSubscriptionDeliveries } from './subscription-stop';

/** Exactly one of the two. */
export type WebhookOwner = { tenantId: string; partnerId?: undefined } | { partnerId: string; tenantId?: undefined };

/** The `where` that keeps a query to the owner's rows (subscriptions and deliveries alike). */
export const ownedBy =
  (owner: WebhookOwner) =>
  (eb: ExpressionBuilder<Database, 'webhook_subscriptions' | 'webhook_deliveries'>) =>
    owner.tenantId !== undefined ? eb('tenant_id', '=', owner.tenantId) : eb('partner_id', '=', owner.partnerId);

export const ownerKey = (owner: WebhookOwner): string => owner.tenantId ?? owner.partnerId!;
const ownerOfRow = (sub: SubscriptionRow): string => sub.tenant_id ?? sub.partner_id!;

/** The old secret keeps signing beside the new one this long after a rotation. */
export const ROTATION_OVERLAP_HOURS = 24;

export class SubscriptionLimitReached extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} webhook subscriptions`);
  }
}

export interface NewSubscription {
  id: string;
  provider: ProviderName;
  url: string;
  events: string[];
  name?: string | null;
  description?: string | null;
  retry_schedule?: number[] | null;
}

export interface SubscriptionChanges {
  url?: string;
  events?: string[];
  name?: string | null;
  description?: string | null;
  retry_schedule?: number[] | null;
  is_active?: boolean;
}

export function findSubscription(db: Db, owner: WebhookOwner, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('webhook_subscriptions').selectAll().where(ownedBy(owner)).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

export function listSubscriptions(db: Db, owner: WebhookOwner): Promise<SubscriptionRow[]> {
  return db.selectFrom('webhook_subscriptions').selectAll().where(ownedBy(owner)).where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
}

/**
 * Creates the subscription and its secret; the secret is returned here and only ever stored
 * sealed. A retry with the same derived id gets the first attempt's subscription and secret.
 */
export async function createSubscription(
  db: Db,
  box: SecretBox,
  owner: WebhookOwner,
  input: NewSubscription,
  limit: number,
): Promise<{ row: SubscriptionRow; secret: string }> {
  const earlier = await db.selectFrom('webhook_subscriptions').selectAll().where(ownedBy(owner)).where('id', '=', input.id).executeTakeFirst();
  if (earlier) return { row: earlier, secret: box.open(earlier.secret_enc) };
  const secret = generateSecret(input.provider);
  SUBSCRIPTION_PLANS.changing(ownerKey(owner));
  const row = await db.transaction().execute(async (trx) => {
    // Creates are serialised per owner so the limit holds under concurrency.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`subscriptions:${ownerKey(owner)}`}, 0))`.execute(trx);
    const { n } = await trx
      .selectFrom('webhook_subscriptions')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .where(ownedBy(owner))
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(n) >= limit) throw new SubscriptionLimitReached(limit);
    return trx
      .insertInto('webhook_subscriptions')
      .values({
        id: input.id,
        tenant_id: owner.tenantId ?? null,
        partner_id: owner.partnerId ?? null,
        provider: input.provider,
        url: input.url,
        events: input.events,
        name: input.name ?? null,
        description: input.description ?? null,
        retry_schedule: input.retry_schedule ?? null,
        secret_enc: box.seal(secret),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return { row, secret };
}

/** Applies the changes; disabling stops the pending deliveries, re-enabling clears the failure streak. */
export async function updateSubscription(db: Db, temporal: Client, sub: SubscriptionRow, changes: SubscriptionChanges): Promise<SubscriptionRow> {
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  for (const key of ['url', 'events', 'name', 'description', 'retry_schedule'] as const) {
    if (changes[key] !== undefined) set[key] = changes[key];
  }
  const disabling = changes.is_active === false && sub.is_active;
  if (changes.is_active === true && !sub.is_active) {
    Object.assign(set, { is_active: true, disabled_at: null, disabled_reason: null, consecutive_failures: 0, failing_since: null });
  } else if (disabling) {
    Object.assign(set, { is_active: false, disabled_at: sql`now()`, disabled_reason: 'disabled by the subscriber' });
  }
  SUBSCRIPTION_PLANS.changing(ownerOfRow(sub));
  const row = await db.updateTable('webhook_subscriptions').set(set).where('id', '=', sub.id).returningAll().executeTakeFirstOrThrow();
  if (disabling) await stopSubscriptionDeliveries(db, temporal, sub.id);
  return row;
}

/** Soft-deletes the subscription; returns how many pending deliveries were cancelled. */
export async function deleteSubscription(db: Db, temporal: Client, sub: SubscriptionRow): Promise<number> {
  SUBSCRIPTION_PLANS.changing(ownerOfRow(sub));
  await db.updateTable('webhook_subscriptions').set({ deleted_at: sql`now()`, is_active: false, updated_at: sql`now()` }).where('id', '=', sub.id).execute();
  return stopSubscriptionDeliveries(db, temporal, sub.id);
}

/**
 * A new secret. Where the dialect's header can carry two signatures the old secret signs too
 * for 24 h; where it holds one (courrex, kourier, easyroutes) the new one is used at once, and
 * the answer says so with `previousExpiresAt: null` rather than promise an overlap.
 */
export async function rotateSubscriptionSecret(db: Db, box: SecretBox, sub: SubscriptionRow): Promise<{ secret: string; rotatedAt: Date; previousExpiresAt: Date | null }> {
  const secret = generateSecret(sub.provider);
  const overlap = PROFILES[sub.provider].multipleSignatures;
  const row = await db
    .updateTable('webhook_subscriptions')
    .set({
      secret_enc: box.seal(secret),
      previous_secret_enc: overlap ? sub.secret_enc : null,
      previous_secret_expires_at: overlap ? sql`now() + make_interval(hours => ${ROTATION_OVERLAP_HOURS})` : null,
      secret_rotated_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', sub.id)
    .returning(['secret_rotated_at', 'previous_secret_expires_at'])
    .executeTakeFirstOrThrow();
  return { secret, rotatedAt: new Date(row.secret_rotated_at!), previousExpiresAt: row.previous_secret_expires_at ? new Date(row.previous_secret_expires_at) : null };
}
