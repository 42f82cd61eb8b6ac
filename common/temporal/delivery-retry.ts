/**
 * The contract of a delivery's retry workflow (`delivery/<delivery id>`). A delivery whose first
 * try succeeds never has one: the workers send first tries straight from the queue. One that
 * must wait gets one, started (or told) by the worker that recorded the try with the `tried`
 * signal. It holds the wait in a durable timer, puts the delivery back on the queue when the
 * wait is over, and hears the next try's result the same way. Failed deliveries end as failed
 * workflows, so operators find both kinds in the Temporal UI.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryStatus } from '../db/schema';
import type { ProviderName } from '../webhooks/profiles';
import { SA } from './search-attributes';

export const deliveryWorkflowId = (deliveryId: string): string => `delivery/${deliveryId}`;

export interface DeliveryRetryInput {
  deliveryId: string;
  /** Whose subscription it is: a tenant's, or a partner's. */
  tenantId: string | null;
  partnerId: string | null;
  subscriptionId: string;
  eventId: string;
  /** The hub's event type (stop.assigned), and its name in the subscriber's dialect. */
  eventType: string;
  name: string;
  provider: ProviderName;
  /** Where it goes (the URL's host), for people reading the UI. */
  host: string;
}

/** One try, as the worker that sent it recorded it. */
export interface DeliveryTry {
  attempt: number;
  maxAttempts: number;
  status: DeliveryStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** The wait before the next try (retrying only), counted from `waitFrom`: the try's end when the
   * worker that made it reports it, the time of reading when it is read back from the database. */
  waitMs: number;
  waitFrom: string;
}

export interface DeliveryRetryState {
  input: DeliveryRetryInput;
  tries: DeliveryTry[];
  phase: 'waiting' | 'queued' | 'done';
  next_try_at: string | null;
}

/** The activities the workflow runs (activities/delivery-queue.ts). */
export interface DeliveryRetryActivities {
  /**
   * Makes try number `attempt` due now. If the delivery moved on meanwhile (cancelled, or that
   * try was made), says so instead.
   */
  requeueDelivery(input: { deliveryId: string; attempt: number }): Promise<'queued' | 'cancelled' | DeliveryTry>;
}

export type DeliveryRetryWorkflow = (input: DeliveryRetryInput) => Promise<{ status: DeliveryStatus; attempts: number }>;

export const deliveryTriedSignal = defineSignal<[DeliveryTry]>('tried');
/** The subscription was disabled or deleted: stop waiting. */
export const cancelDeliverySignal = defineSignal('cancel');
export const deliveryStateQuery = defineQuery<DeliveryRetryState>('state');

/** One line for the UI: "stop.assigned → hooks.example.com (naveera)". */
export const deliverySummary = (input: DeliveryRetryInput): string => `${input.eventType} → ${input.host} (${input.provider})`;

export function deliveryWorkflowOptions(taskQueue: string, input: DeliveryRetryInput): WorkflowStartOptions<DeliveryRetryWorkflow> {
  return {
    workflowId: deliveryWorkflowId(input.deliveryId),
    taskQueue,
    args: [input],
    // A manual retry of a failed delivery starts a new run under the same id.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      input.tenantId ? { key: SA.TenantId, value: input.tenantId } : { key: SA.PartnerId, value: input.partnerId ?? '' },
      { key: SA.EventType, value: input.eventType },
      { key: SA.SubscriptionId, value: [input.subscriptionId] },
      { key: SA.Provider, value: [input.provider] },
    ],
    staticSummary: deliverySummary(input),
    staticDetails: `delivery ${input.deliveryId} of event ${input.eventId} (${input.name}) to subscription ${input.subscriptionId}`,
  };
}
