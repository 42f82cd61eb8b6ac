/**
 * Tells a delivery's retry workflow how its last try went: signal-with-start for a delivery that
 * must wait or has failed (the workflow starts on its first such try), a plain signal for one that
 * then succeeded. Used by the workers' try recorder right after it commits, and by the periodic
 * sweep for any hand-off a crash or an outage left undone (`handoff_pending`).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../common/db/connect';
import { inParallel } from '../common/in-parallel';
import type { Logger } from '../common/logger';
import { type DeliveryRetryInput, deliveryTriedSignal, type DeliveryTry, deliveryWorkflowId, deliveryWorkflowOptions } from '../common/temporal/delivery-retry';
import type { CanonicalEvent, ProviderName } from '../common/webhooks/profiles';
import { latestTries } from '../common/webhooks/tries';
import { deliveryRetryWorkflow } from '../workflows/delivery-retry';

export interface Handoff {
  input: DeliveryRetryInput;
  try: DeliveryTry;
}

export interface HandoffDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

const CONCURRENCY = 16;

export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
};

/** Whether this try's result must reach a workflow: every try but a first one that succeeded. */
export const needsHandoff = (t: Pick<DeliveryTry, 'attempt' | 'status'>, retryBase: number): boolean =>
  t.status === 'retrying' || t.status === 'failed' || t.attempt > retryBase + 1;

/** Hands the tries over; returns how many reached their workflow. */
export async function handOff(deps: HandoffDeps, items: readonly Handoff[]): Promise<number> {
  const done: { id: string; attempt: number }[] = [];
  await inParallel(items, CONCURRENCY, async (h) => {
    try {
      if (h.try.status === 'retrying' || h.try.status === 'failed') {
        await deps.temporal.workflow.signalWithStart(deliveryRetryWorkflow, {
          ...deliveryWorkflowOptions(deps.taskQueue, h.input),
          signal: deliveryTriedSignal,
          signalArgs: [h.try],
        });
      } else {
        await deps.temporal.workflow.getHandle(deliveryWorkflowId(h.input.deliveryId)).signal(deliveryTriedSignal, h.try);
      }
      done.push({ id: h.input.deliveryId, attempt: h.try.attempt });
    } catch (err) {
      // No workflow waits on a success (a manual retry that worked at once): nothing to tell.
      if (err instanceof WorkflowNotFoundError) done.push({ id: h.input.deliveryId, attempt: h.try.attempt });
      else deps.logger.warn({ err: (err as Error).message, delivery_id: h.input.deliveryId }, 'delivery hand-off failed; the sweep will retry it');
    }
  });
  if (done.length) {
    // Only if no newer try has been recorded since (it has a hand-off of its own).
    await sql`
      update webhook_deliveries d set handoff_pending = false
      from (values ${sql.join(done.map((x) => sql`(${x.id}::text, ${x.attempt}::int)`))}) as v(id, attempt)
      where d.id = v.id and d.attempt_count = v.attempt and d.handoff_pending`.execute(deps.db);
  }
  return done.length;
}

/** Hand-offs rebuilt from the database, for deliveries whose latest try's result may not have reached its workflow. */
export async function handoffsFor(db: Db, deliveryIds: readonly string[]): Promise<Handoff[]> {
  if (deliveryIds.length === 0) return [];
  const [rows, tries] = await Promise.all([
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.tenant_id', 'd.partner_id', 'd.subscription_id', 'd.event_id', 'd.event_type as name', 'e.type as event_type', 's.provider', 's.url'])
      .where('d.id', 'in', deliveryIds)
      .execute(),
    latestTries(db, deliveryIds),
  ]);
  return rows.flatMap((r) => {
    const t = tries.get(r.id);
    if (!t) return [];
    const input: DeliveryRetryInput = {
      deliveryId: r.id,
      tenantId: r.tenant_id,
      partnerId: r.partner_id,
      subscriptionId: r.subscription_id,
      eventId: r.event_id,
      eventType: r.event_type as CanonicalEvent,
      name: r.name,
      provider: r.provider as ProviderName,
      host: hostOf(r.url),
    };
    return [{ input, try: t }];
  });
}
