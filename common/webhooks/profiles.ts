/**
 * The provider profiles: for each dialect, its event names, envelope, status words, timeout,
 * retry schedule, secret format and switch-off rule. One table; `../shared/spec/providers.md`
 * and the seeds are the source of every value here.
 */
import { deterministicId, deterministicUuid } from '../ids';
import type { DriverResource } from '../schemas/drivers';
import type { StopResource } from '../schemas/stops';
import { SAMPLE_TRIP_ID } from './sample';

export const PROVIDERS = ['courrex', 'kourier', 'zippex', 'easyroutes', 'naveera', 'standard'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const CANONICAL_EVENTS = [
  'stop.created',
  'stop.updated',
  'stop.assigned',
  'stop.picked_up',
  'stop.in_transit',
  'stop.completed',
  'stop.failed',
  'stop.cancelled',
  'stop.eta_updated',
  'driver.online',
  'driver.offline',
  'test',
] as const;
export type CanonicalEvent = (typeof CANONICAL_EVENTS)[number];

/** What an envelope is built from: one stored event, as the delivery sees it. */
export interface HubEvent {
  id: string;
  type: CanonicalEvent;
  created_at: string;
  subject_id: string;
  previous_status: string | null;
  payload: Record<string, unknown>;
  /** The stop's integer trip id, for a stop's event (brokers know the stop by it). */
  trip_id: number | null;
}

export interface EnvelopeInput {
  event: HubEvent;
  /** The event's name in this dialect. */
  name: string;
  /** The id the receiver deduplicates on (differs per name when one event has two names). */
  messageId: string;
}

export type DisablePolicy =
  | { kind: 'failure_rate'; windowHours: number; threshold: number }
  | { kind: 'no_success'; windowHours: number };

export interface ProviderProfile {
  name: ProviderName;
  /** Canonical event → this dialect's names; a missing entry means the dialect has no such event. */
  names: Partial<Record<CanonicalEvent, readonly string[]>>;
  timeoutMs: number;
  /** Waits after each failed try; tries = delays + 1. */
  retryDelaysSeconds: readonly number[];
  /** Whether the signature header can carry the old and the new secret during a rotation. */
  multipleSignatures: boolean;
  secretFormat: 'whsec' | 'base64' | 'hex';
  disable: DisablePolicy;
  /** Events this dialect sends only when the stop's status changed (naveera's plain update is a `trip.status_changed`). */
  onlyOnStatusChange?: readonly CanonicalEvent[];
  envelope(input: EnvelopeInput): Record<string, unknown>;
}

const MIN = 60;
const HOUR = 3600;
/** The hub's default for the seeds that are silent (Standard Webhooks' own schedule). */
const DEFAULT_DELAYS = [5, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
const NO_SUCCESS_5_DAYS: DisablePolicy = { kind: 'no_success', windowHours: 120 };

const stopOf = (e: HubEvent): StopResource => e.payload as unknown as StopResource;
const driverOf = (e: HubEvent): DriverResource => e.payload as unknown as DriverResource;

/** Hub status → each dialect's status words (one table, as the profile spec asks). */
export const STATUS_WORDS: Record<'kourier' | 'zippex' | 'easyroutes' | 'naveera', Record<string, string>> = {
  kourier: { pending: 'pending', assigned: 'assigned', picked_up: 'picked_up', in_transit: 'in_transit', completed: 'delivered', failed: 'failed', cancelled: 'cancelled' },
  zippex: { pending: 'pending', assigned: 'driver_assigned', picked_up: 'picked_up', in_transit: 'in_transit', completed: 'delivered', failed: 'failed', cancelled: 'cancelled' },
  easyroutes: { pending: 'PENDING', assigned: 'READY', picked_up: 'OUT_FOR_DELIVERY', in_transit: 'OUT_FOR_DELIVERY', completed: 'DELIVERED', failed: 'ATTEMPTED', cancelled: 'CANCELLED' },
  naveera: { pending: 'scheduled', assigned: 'assigned', picked_up: 'arrived', in_transit: 'in_progress', completed: 'finished', failed: 'no_show', cancelled: 'canceled' },
};
/** The API version Naveera's envelopes and the Partner API's polled events carry. */
export const NAVEERA_API_VERSION = '2024-01-30';

const word = (dialect: keyof typeof STATUS_WORDS, status: string | null | undefined): string | null =>
  status ? (STATUS_WORDS[dialect][status] ?? status) : null;

export const PROFILES: Record<ProviderName, ProviderProfile> = {
  courrex: {
    name: 'courrex',
    names: {
      'stop.created': ['stop.created'],
      'stop.assigned': ['stop.assigned'],
      'stop.completed': ['stop.completed'],
      'stop.failed': ['stop.failed'],
      'driver.online': ['driver.online'],
      'driver.offline': ['driver.offline'],
      test: ['stop.created'],
    },
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    secretFormat: 'hex',
    disable: NO_SUCCESS_5_DAYS,
    // The seed shows no envelope; this mirrors its REST objects.
    envelope: ({ event, name, messageId }) => ({ id: messageId, type: name, created_at: event.created_at, data: event.payload }),
  },
  kourier: {
    name: 'kourier',
    names: {
      'stop.created': ['delivery.created'],
      'stop.updated': ['delivery.updated'],
      'stop.assigned': ['delivery.updated'],
      'stop.picked_up': ['delivery.updated'],
      'stop.in_transit': ['delivery.updated'],
      'stop.completed': ['delivery.updated'],
      'stop.failed': ['delivery.updated'],
      'stop.cancelled': ['delivery.cancelled'],
      test: ['delivery.created'],
    },
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    secretFormat: 'base64',
    disable: NO_SUCCESS_5_DAYS,
    envelope: ({ event, name }) => ({
      event: name,
      delivery_id: event.subject_id,
      status: word('kourier', stopOf(event).status),
      timestamp: event.created_at,
    }),
  },
  zippex: {
    name: 'zippex',
    names: {
      'stop.created': ['delivery.created'],
      'stop.assigned': ['delivery.driver_assigned'],
      'stop.picked_up': ['delivery.picked_up'],
      'stop.in_transit': ['delivery.in_transit'],
      'stop.completed': ['delivery.delivered'],
      'stop.failed': ['delivery.failed'],
      'stop.cancelled': ['delivery.cancelled'],
      test: ['delivery.created'],
    },
    timeoutMs: 10_000,
    // The seed: 1st retry 1 min, 2nd 10 min, 3rd (final) 1 h — four tries in all.
    retryDelaysSeconds: [MIN, 10 * MIN, HOUR],
    multipleSignatures: true,
    secretFormat: 'whsec',
    disable: { kind: 'failure_rate', windowHours: 24, threshold: 0.9 },
    envelope: ({ event, name, messageId }) => {
      const stop = stopOf(event);
      const completedAt = (stop.completion as { completed_at?: string } | null)?.completed_at;
      return {
        id: messageId,
        type: name,
        created_at: event.created_at,
        data: {
          id: stop.id,
          status: word('zippex', stop.status),
          pickup: { address: null, name: null },
          dropoff: { address: stop.address, name: stop.customer_name },
          metadata: { order_id: stop.external_ref },
          ...(completedAt ? { delivered_at: completedAt } : {}),
        },
      };
    },
  },
  easyroutes: {
    name: 'easyroutes',
    names: {
      'stop.created': ['STOP_STATUS_UPDATED'],
      'stop.updated': ['STOP_STATUS_UPDATED'],
      'stop.assigned': ['STOP_STATUS_UPDATED'],
      'stop.picked_up': ['STOP_STATUS_UPDATED'],
      'stop.in_transit': ['STOP_STATUS_UPDATED'],
      'stop.completed': ['STOP_STATUS_UPDATED'],
      'stop.failed': ['STOP_STATUS_UPDATED'],
      'stop.cancelled': ['STOP_STATUS_UPDATED'],
      'driver.online': ['ROUTE_STARTED'],
      'driver.offline': ['ROUTE_COMPLETED'],
      test: ['TEST'],
    },
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    secretFormat: 'base64',
    disable: NO_SUCCESS_5_DAYS,
    envelope: ({ event, name, messageId }) => {
      const base = {
        eventId: `evt-${deterministicUuid(messageId)}`,
        topic: name,
        eventTimestamp: event.created_at.replace(/\.\d{3}Z$|Z$/, '+00:00'),
        apiVersion: 'V2024_07',
      };
      if (name === 'TEST') return base;
      if (event.type.startsWith('driver.')) {
        const d = driverOf(event);
        return {
          ...base,
          objectId: d.id,
          payload: { id: d.id, name: d.name, status: name === 'ROUTE_STARTED' ? 'STARTED' : 'COMPLETED', driver: { id: d.id, name: d.name } },
        };
      }
      const s = stopOf(event);
      return {
        ...base,
        objectId: s.id,
        payload: {
          id: s.id,
          status: word('easyroutes', s.status),
          address: s.address,
          name: s.customer_name,
          phone: s.phone,
          notes: s.notes,
          externalId: s.external_ref,
          driverId: s.driver_id,
          lat: s.geocoded?.lat ?? null,
          lng: s.geocoded?.lng ?? null,
          timeWindow: s.time_window ? { start: s.time_window.from, end: s.time_window.to } : null,
          updatedAt: s.updated_at,
        },
      };
    },
  },
  naveera: {
    name: 'naveera',
    names: {
      'stop.created': ['trip.created'],
      'stop.updated': ['trip.status_changed'],
      'stop.assigned': ['trip.assigned', 'trip.status_changed'],
      'stop.picked_up': ['trip.status_changed'],
      'stop.in_transit': ['trip.status_changed'],
      'stop.completed': ['trip.completed', 'trip.status_changed'],
      'stop.failed': ['trip.status_changed'],
      'stop.cancelled': ['trip.canceled', 'trip.status_changed'],
      'stop.eta_updated': ['trip.eta_updated'],
      test: ['trip.created'],
    },
    timeoutMs: 5_000,
    // The seed: immediate, 5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 24 h (8 tries, 29 h 12 min).
    retryDelaysSeconds: [5, 30, 2 * MIN, 10 * MIN, HOUR, 4 * HOUR, 24 * HOUR],
    multipleSignatures: true,
    secretFormat: 'hex',
    disable: NO_SUCCESS_5_DAYS,
    onlyOnStatusChange: ['stop.updated'],
    envelope: ({ event, name, messageId }) => {
      const s = stopOf(event);
      return {
        event_id: messageId,
        event_type: name,
        api_version: NAVEERA_API_VERSION,
        created_at: event.created_at,
        data: {
          trip: {
            id: event.trip_id ?? SAMPLE_TRIP_ID,
            broker_trip_id: s.broker_trip_id ?? null,
            status: word('naveera', s.status),
            previous_status: word('naveera', event.previous_status),
            trip_date: (s.time_window?.from ?? s.created_at).slice(0, 10),
            scheduled_pickup_time: s.time_window?.from ?? null,
            pickup_address: null,
            dropoff_address: s.address,
            passenger_name: s.customer_name,
            is_assigned: s.driver_id !== null,
          },
        },
      };
    },
  },
  standard: {
    name: 'standard',
    names: Object.fromEntries(
      CANONICAL_EVENTS.map((e) => [e, [e]]),
    ) as Partial<Record<CanonicalEvent, readonly string[]>>,
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: true,
    secretFormat: 'whsec',
    disable: NO_SUCCESS_5_DAYS,
    envelope: ({ event }) => ({ type: event.type, timestamp: event.created_at, data: event.payload }),
  },
};

/** Every name a subscription of this dialect may put in its `events` filter. */
export function eventNamesOf(provider: ProviderName): string[] {
  const names = new Set<string>();
  for (const [canonical, list] of Object.entries(PROFILES[provider].names)) {
    if (canonical !== 'test') for (const n of list) names.add(n);
  }
  return [...names];
}

/** The names under which this event reaches a subscriber of the dialect, after its filter. */
export function deliveryNames(provider: ProviderName, event: Pick<HubEvent, 'type' | 'previous_status' | 'payload'>, filter: readonly string[]): string[] {
  const profile = PROFILES[provider];
  const unchanged = event.previous_status === (event.payload as { status?: string }).status;
  if (unchanged && profile.onlyOnStatusChange?.includes(event.type)) return [];
  const names = [...(profile.names[event.type] ?? [])];
  if (event.type === 'test' || filter.length === 0 || filter.includes('*')) return names;
  return names.filter((n) => filter.includes(n));
}

/** The receiver-facing message id: the event id, suffixed when one event carries two names. */
export function messageIdFor(provider: ProviderName, eventType: CanonicalEvent, eventId: string, name: string): string {
  const names = PROFILES[provider].names[eventType] ?? [];
  const index = names.indexOf(name);
  return index > 0 ? `${eventId}_${name.replace(/[^a-z_]/gi, '_')}` : eventId;
}

/** Waits between tries for a subscription: its own `retry_schedule`, else its dialect's. */
export function retryDelaysOf(sub: { provider: string; retry_schedule: readonly number[] | null }): number[] {
  return [...(sub.retry_schedule ?? PROFILES[sub.provider as ProviderName].retryDelaysSeconds)];
}

/** One delivery per event, subscription and name: the same three always give the same id. */
export const deliveryIdFor = (eventId: string, subscriptionId: string, name: string): string =>
  deterministicId('dlv', eventId, subscriptionId, name);
