/**
 * Hands an event to delivery: starts its `event/<id>` workflow. Idempotent (a second start of the
 * same event is refused by Temporal and ignored here). Called right after the event's
 * transaction commits; the outbox sweep calls it again for any event still undispatched, so a
 * crash between commit and start loses nothing.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { deliverEventWorkflow } from '../../workflows/deliver-event';
import { SA } from '../temporal/search-attributes';

export const eventWorkflowId = (eventId: string): string => `event/${eventId}`;

export async function dispatchEvent(
  temporal: Client,
  taskQueue: string,
  event: { tenantId: string; eventId: string; eventType: string },
): Promise<void> {
  try {
    await temporal.workflow.start<typeof deliverEventWorkflow>('deliverEventWorkflow', {
      workflowId: eventWorkflowId(event.eventId),
      taskQueue,
      args: [{ tenantId: event.tenantId, eventId: event.eventId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.TenantId, value: event.tenantId },
        { key: SA.EventType, value: event.eventType },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
