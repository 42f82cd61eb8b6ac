/** A subscription row as the API shows it (never a secret). */
import type { SubscriptionRow } from '../db/schema';
import { iso } from '../iso';
import type { SubscriptionResource } from '../schemas/webhooks';


export function toSubscriptionResource(row: SubscriptionRow): SubscriptionResource {
  return {
    id: row.id,
    provider: row.provider,
    url: row.url,
    events: row.events,
    name: row.name,
    description: row.description,
    retry_schedule: row.retry_schedule,
    is_active: row.is_active,
    consecutive_failures: row.consecutive_failures,
    last_success_at: iso(row.last_success_at),
    last_failure_at: iso(row.last_failure_at),
    disabled_at: iso(row.disabled_at),
    disabled_reason: row.disabled_reason,
    secret_rotated_at: iso(row.secret_rotated_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
