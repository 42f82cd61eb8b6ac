/** Delivery and attempt rows as the API shows them. */
import type { AttemptRow, DeliveryRow } from '../db/schema';
import { iso } from '../iso';
import type { AttemptResource, DeliveryResource } from '../schemas/webhooks';

export function toDeliveryResource(row: DeliveryRow): DeliveryResource {
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    event_type: row.name,
    status: row.status,
    attempt_count: row.attempt_count,
    max_attempts: row.max_attempts,
    next_retry_at: iso(row.next_retry_at),
    response_status: row.response_status,
    response_time_ms: row.response_time_ms,
    error_message: row.error_message,
    created_at: iso(row.created_at),
    first_attempted_at: iso(row.first_attempted_at),
    last_attempted_at: iso(row.last_attempted_at),
    delivered_at: iso(row.delivered_at),
    failed_at: iso(row.failed_at),
  };
}

export function toAttemptResource(row: AttemptRow): AttemptResource {
  return {
    attempt_number: row.attempt_number,
    started_at: iso(row.started_at),
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    succeeded: row.succeeded,
    error: row.error,
    response_body: row.response_body,
    response_truncated: row.response_truncated,
    request: row.request_body === null ? null : { headers: row.request_headers ?? {}, body: row.request_body },
  };
}
