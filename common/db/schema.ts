/**
 * The Kysely `Database` type: the one description of every table the code reads or writes.
 * Migrations in ./migrations create exactly these columns.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CanonicalEvent, ProviderName } from '../dialects/profiles';
import type { PartnerTier } from '../partners/scopes';
import type { DELIVERY_STATUSES } from '../schemas/webhooks';
import type { PAYMENT_METHODS, StopStatus } from '../stops/lifecycle';
import type { RouteStatus } from '../schemas/routes';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Defaults to now() on insert; set explicitly on update. */
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  /** Requests per minute per API key; null = the hub's default tier. */
  rate_limit_per_minute: number | null;
  /** Quotas (common/quotas.ts); null = the hub's default. */
  quota_stops_per_day: number | null;
  quota_imports_in_flight: number | null;
  quota_recoveries_in_flight: number | null;
  event_position: ColumnType<string, never, string>;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  /** The first characters of the key (`dh_live_ab12`), for people to recognise it in a list. */
  prefix: string;
  /** SHA-256 (hex) of the whole key; the key itself is never stored. */
  key_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

type Json<T> = ColumnType<T, string | T, string | T>;

export interface DriversTable {
  id: string;
  tenant_id: string;
  name: string;
  phone: string | null;
  zone: string | null;
  status: 'online' | 'offline';
  lat: number | null;
  lng: number | null;
  speed_mps: number | null;
  heading: number | null;
  battery_pct: number | null;
  location_updated_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface GeocodedColumn {
  /** null when nothing matched (confidence "none"). */
  lat: number | null;
  lng: number | null;
  confidence: 'high' | 'medium' | 'low' | 'none';
  source: string;
  warnings: string[];
}

export interface StopsTable {
  id: string;
  tenant_id: string;
  status: StopStatus;
  /** Number of changes applied (creation is 1); the per-stop event sequence number. */
  version: number;
  address: string;
  customer_name: string | null;
  phone: string | null;
  /** numeric comes back from pg as a string, to keep cents exact. */
  order_amount: ColumnType<string | null, number | string | null, number | string | null>;
  payment_method: (typeof PAYMENT_METHODS)[number] | null;
  time_window_from: Timestamp | null;
  time_window_to: Timestamp | null;
  notes: string | null;
  external_ref: string | null;
  zone: string | null;
  driver_id: string | null;
  geocoded: Json<GeocodedColumn | null>;
  completion: Json<Record<string, unknown> | null>;
  failure: Json<Record<string, unknown> | null>;
  cancellation: Json<Record<string, unknown> | null>;
  /** When the stop was (first) picked up; null before. */
  picked_up_at: Timestamp | null;
  import_id: string | null;
  /** Null until a move or the lifecycle starter started the stop's lifecycle workflow. */
  lifecycle_started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The integer id brokers know the stop by (a trip); bigint comes back as a string. */
  trip_id: ColumnType<string, never, never>;
  /** The partner (broker) the tenant handed the stop to, and the broker's own reference. */
  broker_id: string | null;
  broker_trip_id: string | null;
  /** Where the stop's goods (or passenger) are collected; optional. */
  pickup_address: string | null;
  pickup_name: string | null;
  pickup_geocoded: Json<GeocodedColumn | null>;
  /** The delivery fee in minor units (cents) and its ISO 4217 currency (stored upper case). */
  fee: ColumnType<string | null, number | string | null, number | string | null>;
  currency: string | null;
  /** The ETA last announced in a `stop.eta_updated` event, and when. */
  eta_at: Timestamp | null;
  eta_announced_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface RoutesTable {
  id: string;
  tenant_id: string;
  driver_id: string;
  name: string | null;
  status: RouteStatus;
  /** Number of changes applied (creation is 1); the per-route event sequence number. */
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  dispatched_at: Timestamp | null;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  deleted_at: Timestamp | null;
}

/** A route's stops in order; a stop is on one route at a time. */
export interface RouteStopsTable {
  stop_id: string;
  route_id: string;
  position: number;
}

export interface StopHistoryTable {
  stop_id: string;
  seq: number;
  tenant_id: string;
  from_status: string | null;
  to_status: string;
  source: string;
  event_id: string;
  changed_at: CreatedAt;
}

export interface EventsTable {
  id: string;
  tenant_id: string;
  /** Commit-ordered per tenant; the polling cursor. bigint comes back as a string. */
  position: ColumnType<string, string | number, never>;
  type: CanonicalEvent;
  subject_type: 'stop' | 'driver' | 'route' | 'test';
  subject_id: string;
  sequence: number | null;
  previous_status: string | null;
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface WebhookSubscriptionsTable {
  id: string;
  /** The owner: a tenant, or a partner (exactly one of the two). */
  tenant_id: string | null;
  partner_id: string | null;
  provider: ProviderName;
  url: string;
  events: string[];
  name: string | null;
  description: string | null;
  /** Seconds between tries; overrides the profile's schedule. */
  retry_schedule: number[] | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Timestamp | null;
  secret_rotated_at: Timestamp | null;
  is_active: ColumnType<boolean, boolean | undefined, boolean>;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  /** Start of the current run of failures; null after a success. */
  failing_since: Timestamp | null;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  disabled_at: Timestamp | null;
  disabled_reason: string | null;
  deleted_at: Timestamp | null;
  /** When the subscription's retry timer (`retries/<id>`) next looks for due tries; null: none waiting. */
  retry_wake_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One list of a delivery's statuses: the API's enum (common/schemas/webhooks.ts). */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookDeliveriesTable {
  id: string;
  /** The owner, as its subscription's: a tenant, or a partner (exactly one of the two). */
  tenant_id: string | null;
  partner_id: string | null;
  /** The integer id partners know a delivery by; bigint comes back as a string. */
  number: ColumnType<string, never, never>;
  subscription_id: string;
  event_id: string;
  /** The event's name in the subscription's provider dialect. */
  /** The event's name in the subscription's dialect (one event may have two: two deliveries). */
  name: string;
  status: DeliveryStatus;
  attempt_count: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  next_retry_at: Timestamp | null;
  response_status: number | null;
  response_time_ms: number | null;
  error_message: string | null;
  created_at: CreatedAt;
  first_attempted_at: Timestamp | null;
  last_attempted_at: Timestamp | null;
  delivered_at: Timestamp | null;
  failed_at: Timestamp | null;
  /** A worker is sending this try until then; null when nobody holds it. */
  lease_until: Timestamp | null;
  /** Tries made before the current series (a manual retry starts a new one). */
  retry_base: ColumnType<number, number | undefined, number>;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt_number: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
  response_truncated: ColumnType<boolean, boolean | undefined, boolean>;
  succeeded: boolean;
  /** The request as sent (null for tries recorded before these were kept). */
  request_headers: Json<Record<string, string> | null>;
  request_body: string | null;
}

export interface ImportsTable {
  id: string;
  tenant_id: string;
  count: number;
  created_at: CreatedAt;
  committed_at: Timestamp | null;
}

export interface IdempotencyKeysTable {
  /** Who sent the key: a tenant id, or a partner id. */
  owner_id: string;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  request_hash: string;
  status: 'in_progress' | 'done';
  response_status: number | null;
  /** The answer's JSON, sealed with the hub's secret key (it may carry a webhook secret). */
  response_sealed: string | null;
  locked_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: Timestamp;
}

export interface PartnersTable {
  id: string;
  name: string;
  tier: PartnerTier;
  event_position: ColumnType<string, never, string>;
  created_at: CreatedAt;
}

export interface PartnerLinksTable {
  partner_id: string;
  tenant_id: string;
  created_at: CreatedAt;
}

export interface PartnerKeysTable {
  /** The public key id, `nvr_pk_live_…`. */
  id: string;
  credential_id: string;
  partner_id: string;
  name: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  secret_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A partner's event feed: one row per event of its trips and Naveera name, in commit order. */
export interface PartnerEventsTable {
  partner_id: string;
  position: ColumnType<string, string | number, never>;
  event_id: string;
  name: string;
  message_id: string;
}

export interface WebhookRecoveriesTable {
  id: string;
  tenant_id: string;
  subscription_id: string;
  kind: 'recover' | 'replay';
  since: Timestamp | null;
  until: Timestamp | null;
  status: 'running' | 'completed' | 'cancelled';
  total: number;
  created_at: CreatedAt;
  finished_at: Timestamp | null;
}

/** A recovery's deliveries in event order; `requeued_at` once handed back to the queue. */
export interface WebhookRecoveryItemsTable {
  recovery_id: string;
  delivery_id: string;
  position: ColumnType<string, string | number, never>;
  requeued_at: Timestamp | null;
}

/** Stops a tenant created on a UTC day, bumped in the transaction that creates them. */
export interface TenantStopCountsTable {
  tenant_id: string;
  /** Written as 'YYYY-MM-DD' (UTC); pg reads a date back as a Date. */
  day: ColumnType<Date, string, never>;
  created: number;
}

export interface Database {
  tenants: TenantsTable;
  tenant_stop_counts: TenantStopCountsTable;
  webhook_recoveries: WebhookRecoveriesTable;
  webhook_recovery_items: WebhookRecoveryItemsTable;
  routes: RoutesTable;
  route_stops: RouteStopsTable;
  api_keys: ApiKeysTable;
  drivers: DriversTable;
  stops: StopsTable;
  stop_history: StopHistoryTable;
  events: EventsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  imports: ImportsTable;
  idempotency_keys: IdempotencyKeysTable;
  partners: PartnersTable;
  partner_links: PartnerLinksTable;
  partner_keys: PartnerKeysTable;
  partner_events: PartnerEventsTable;
  rate_limits: { key: string; points: number; expire: string | null; last_grant: Generated<number> };
}

export type ImportRow = Selectable<ImportsTable>;

export type SubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AttemptRow = Selectable<WebhookAttemptsTable>;

export type DriverRow = Selectable<DriversTable>;
export type StopRow = Selectable<StopsTable>;
export type RouteRow = Selectable<RoutesTable>;
export type EventRow = Selectable<EventsTable>;

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type ApiKeyUpdate = Updateable<ApiKeysTable>;
export type { Generated };
