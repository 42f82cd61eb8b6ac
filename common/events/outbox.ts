/**
 * The transactional outbox between Postgres and Temporal. Whatever commits a new stop or an event
 * with deliveries sends a NOTIFY in the same transaction; the relay then starts the stop's
 * lifecycle workflow and the event's delivery workflow and marks them started. Starts are
 * idempotent (fixed workflow ids), so a relay that dies half-way only repeats harmless starts.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { SA } from '../temporal/search-attributes';
import { stopWorkflowOptions } from '../temporal/stop-workflows';
import { openDeliveries, type PlannedDelivery } from '../webhooks/plan';

export const OUTBOX_CHANNEL = 'hub_outbox';

export const eventWorkflowId = (eventId: string): string => `event/${eventId}`;

/** Wakes the relay once the caller's transaction commits (NOTIFY is transactional). */
export async function notifyOutbox(trx: Transaction<Database>): Promise<void> {
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

export interface RelayTarget {
  db: Kysely<Database>;
  temporal: Client;
  taskQueue: string;
}

export interface RelayOptions {
  /** Rows per transaction. */
  limit: number;
  /** Only rows at least this old (the periodic sweep leaves fresh ones to the live relay). */
  olderThanSeconds?: number;
}

const START_CONCURRENCY = 16;

export async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** A start that finds its workflow already there (running or finished) has nothing left to do. */
export async function startOnce(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

function startDeliveryWorkflow(
  target: RelayTarget,
  event: { id: string; tenant_id: string; type: string },
  deliveries: readonly PlannedDelivery[],
): Promise<void> {
  return startOnce(() =>
    target.temporal.workflow.start('deliverEventWorkflow', {
      workflowId: eventWorkflowId(event.id),
      taskQueue: target.taskQueue,
      args: [{ tenantId: event.tenant_id, eventId: event.id, deliveries }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.TenantId, value: event.tenant_id },
        { key: SA.EventType, value: event.type },
        { key: SA.SubscriptionId, value: [...new Set(deliveries.map((d) => d.subscriptionId))] },
        { key: SA.Provider, value: [...new Set(deliveries.map((d) => d.provider))] },
      ],
    }),
  );
}

const olderThan = (seconds: number | undefined) => sql<Date>`now() - make_interval(secs => ${seconds ?? 0})`;

/**
 * Starts the delivery workflows of up to `limit` undispatched events; returns how many it took.
 * No transaction is held across the starts: two relays that read the same rows only repeat a
 * start, which Temporal refuses by id.
 */
async function relayEvents(target: RelayTarget, opts: RelayOptions): Promise<number> {
  const { db } = target;
  const events = await db
    .selectFrom('events')
    .select(['id', 'tenant_id', 'type'])
    .where('dispatched_at', 'is', null)
    .where('created_at', '<=', olderThan(opts.olderThanSeconds))
    .orderBy('created_at')
    .limit(opts.limit)
    .execute();
  if (events.length === 0) return 0;
  const byEvent = new Map<string, PlannedDelivery[]>();
  for (const { eventId, ...d } of await openDeliveries(db, { eventIds: events.map((e) => e.id) })) {
    byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), d]);
  }
  await inParallel(events, START_CONCURRENCY, async (event) => {
    const deliveries = byEvent.get(event.id) ?? [];
    if (deliveries.length) await startDeliveryWorkflow(target, event, deliveries);
  });
  await db.updateTable('events').set({ dispatched_at: sql`now()` }).where('id', 'in', events.map((e) => e.id)).where('dispatched_at', 'is', null).execute();
  return events.length;
}

/** Starts the lifecycle workflows of up to `limit` stops created through the API (same rules). */
async function relayStops(target: RelayTarget, opts: RelayOptions): Promise<number> {
  const { db } = target;
  // Imported stops are started by their import's own workflow.
  const stops = await db
    .selectFrom('stops')
    .select(['id', 'tenant_id'])
    .where('lifecycle_started_at', 'is', null)
    .where('import_id', 'is', null)
    .where('created_at', '<=', olderThan(opts.olderThanSeconds))
    .orderBy('created_at')
    .limit(opts.limit)
    .execute();
  if (stops.length === 0) return 0;
  await inParallel(stops, START_CONCURRENCY, (stop) =>
    startOnce(() => target.temporal.workflow.start('stopLifecycleWorkflow', stopWorkflowOptions(target.taskQueue, { tenantId: stop.tenant_id, stopId: stop.id }))),
  );
  await db.updateTable('stops').set({ lifecycle_started_at: sql`now()` }).where('id', 'in', stops.map((s) => s.id)).where('lifecycle_started_at', 'is', null).execute();
  return stops.length;
}

/**
 * Hands one delivery back to its event's workflow for a new series of tries: a signal, or a new
 * run of the workflow if it has ended. A delivery the workflow is already trying is left alone.
 */
export async function resumeDelivery(temporal: Client, taskQueue: string, d: { tenantId: string; eventId: string; deliveryId: string }): Promise<void> {
  await temporal.workflow.signalWithStart('deliverEventWorkflow', {
    workflowId: eventWorkflowId(d.eventId),
    taskQueue,
    args: [{ tenantId: d.tenantId, eventId: d.eventId }],
    signal: 'retryDelivery',
    signalArgs: [d.deliveryId],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: SA.TenantId, value: d.tenantId }],
  });
}

/**
 * Deliveries waiting for a retry that is long overdue: their workflow never got the manual
 * retry's signal (the API died in between) or is gone. Each is resumed.
 */
export async function resumeStrandedDeliveries(target: RelayTarget, opts: { overdueSeconds: number; limit: number }): Promise<number> {
  const stranded = await target.db
    .selectFrom('webhook_deliveries')
    .select(['id', 'tenant_id', 'event_id'])
    .where('status', '=', 'retrying')
    .where('next_retry_at', '<', olderThan(opts.overdueSeconds))
    .orderBy('next_retry_at')
    .limit(opts.limit)
    .execute();
  await inParallel(stranded, START_CONCURRENCY, (d) => resumeDelivery(target.temporal, target.taskQueue, { tenantId: d.tenant_id, eventId: d.event_id, deliveryId: d.id }));
  return stranded.length;
}

/** One pass over both outboxes, side by side (a stop's workflow and its created event do not wait on each other). */
export async function relayOutbox(target: RelayTarget, opts: RelayOptions): Promise<{ stops: number; events: number }> {
  const events = await relayEvents(target, opts);
  const stops = await relayStops(target, opts);
  return { stops, events };
}
