/**
 * The provider profiles: for each dialect, its event names, envelope, signing, status words,
 * timeout, retry schedule, secret format and switch-off rule. One table; `../shared/spec/providers.md`
 * and the seeds are the source of every value here.
 */
import { deterministicId, deterministicUuid } from '../ids';
import { iso } from '../iso';
import type { Trip } from '../schemas/partner';
import type { RouteResource } from '../schemas/routes';
import type { StopResource } from '../schemas/stops';
import { isTerminal } from '../stops/lifecycle';
import { SAMPLE_TRIP_ID } from './sample';
import { bearerToken, bodyHmacBase64OfDecodedKey, bodyHmacHex, type SignatureScheme, standardWebhooks, timestampedHex, withHeaders } from './signature-schemes';

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
  'stop.unassigned',
  'stop.eta_updated',
  'driver.online',
  'driver.offline',
  'route.created',
  'route.updated',
  'route.deleted',
  'route.dispatched',
  'route.started',
  'route.completed',
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
  /** The hub's stop statuses in this dialect's words (the hub's own words where absent). */
  statusWords?: Readonly<Record<string, string>>;
  /** A failed stop's word by its failure reason, where the dialect tells failures apart. */
  failedWordByReason?: Readonly<Record<string, string>>;
  /**
   * Events this dialect sends only when the stop's status, in its own words, changed: a notes
   * edit is no Kourier `delivery.updated`, and EasyRoutes says OUT_FOR_DELIVERY once, not at
   * pick-up and again at departure.
   */
  onlyOnStatusChange?: readonly CanonicalEvent[];
  timeoutMs: number;
  /** Waits after each failed try; tries = delays + 1. */
  retryDelaysSeconds: readonly number[];
  /** Whether the signature header can carry the old and the new secret during a rotation. */
  multipleSignatures: boolean;
  /** How a try is signed (common/dialects/signature-schemes.ts), and the dialect's own headers. */
  sign: SignatureScheme;
  secretFormat: 'whsec' | 'base64' | 'hex';
  disable: DisablePolicy;
  envelope(input: EnvelopeInput): Record<string, unknown>;
}

const MIN = 60;
const HOUR = 3600;
/** The hub's default for the seeds that are silent (Standard Webhooks' own schedule). */
const DEFAULT_DELAYS = [5, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
const NO_SUCCESS_5_DAYS: DisablePolicy = { kind: 'no_success', windowHours: 120 };

/** A stop's event carries the stop; an ETA event adds the ETA to it. */
type StopPayload = StopResource & { eta_minutes?: number; eta_at?: string };
const stopOf = (e: HubEvent): StopPayload => e.payload as unknown as StopPayload;
const routeOf = (e: HubEvent): RouteResource => e.payload as unknown as RouteResource;

/**
 * Why a stop ended without delivery, where the dialect has a field for it: the failure's reason
 * code (`not_home`, …) or the cancellation's free text.
 */
export function reasonOf(stop: Pick<StopResource, 'failure' | 'cancellation'>): string | null {
  const r = (stop.failure as { reason?: unknown } | null)?.reason ?? (stop.cancellation as { reason?: unknown } | null)?.reason;
  return typeof r === 'string' ? r : null;
}

/**
 * Naveera's word for a failed stop, by the failure's reason: only a passenger who was not there
 * is a `no_show`; every other failure means the trip will not be fulfilled (`canceled`).
 */
export const NAVEERA_FAILED_STATUS: Readonly<Record<string, string>> = {
  not_home: 'no_show',
  refused: 'canceled',
  address_not_found: 'canceled',
  damaged: 'canceled',
  other: 'canceled',
};

/** The API version Naveera's envelopes and the Partner API's polled events carry. */
export const NAVEERA_API_VERSION = '2024-01-30';

/** A hub status in a dialect's words; a failed stop's word may depend on its reason (naveera). */
export function statusWordOf(provider: ProviderName, status: string | null | undefined, failureReason?: string | null): string | null {
  if (!status) return null;
  const profile = PROFILES[provider];
  if (status === 'failed' && profile.failedWordByReason) return profile.failedWordByReason[failureReason ?? 'other'] ?? profile.failedWordByReason.other ?? status;
  return profile.statusWords?.[status] ?? status;
}
const failureReasonOf = (s: StopResource): string | null => ((s.failure as { reason?: unknown } | null)?.reason as string | undefined) ?? null;
/** The stop's status in the dialect's words. */
const word = (provider: ProviderName, s: StopResource): string | null => statusWordOf(provider, s.status, failureReasonOf(s));

/**
 * What a Naveera trip is built from: a stop as the Partner API reads it (a row) or as an event
 * carries it (the snapshot), with its trip id. Only what a broker may see is here.
 */
export interface TripFacts {
  tripId: number;
  stopId: string;
  status: string;
  failureReason: string | null;
  brokerTripId: string | null;
  externalRef: string | null;
  address: string;
  pickupAddress: string | null;
  customerName: string | null;
  driverId: string | null;
  /** Null where unknown (an event's snapshot names no driver): the trip then shows no driver. */
  driverName: string | null;
  orderAmount: number | null;
  /** Minor units of `currency`. */
  fee: number | null;
  currency: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  pickedUpAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An event's stop snapshot as trip facts (the REST side reads the same columns: common/partners/trips.ts). */
export const tripFactsOfStop = (s: StopResource, tripId: number): TripFacts => ({
  tripId,
  stopId: s.id,
  status: s.status,
  failureReason: failureReasonOf(s),
  brokerTripId: s.broker_trip_id ?? null,
  externalRef: s.external_ref,
  address: s.address,
  pickupAddress: s.pickup?.address ?? null,
  customerName: s.customer_name,
  driverId: s.driver_id,
  driverName: null,
  orderAmount: s.order_amount,
  fee: s.fee,
  currency: s.currency,
  windowFrom: s.time_window?.from ?? null,
  windowTo: s.time_window?.to ?? null,
  // Snapshots stored before stops kept picked_up_at lack it.
  pickedUpAt: s.picked_up_at ?? null,
  completedAt: ((s.completion as { completed_at?: string } | null)?.completed_at as string | undefined) ?? null,
  createdAt: s.created_at,
  // Snapshots without updated_at (older events, hand-made ones) were last changed when made.
  updatedAt: s.updated_at ?? s.created_at,
});

/** Digits after the decimal point in a currency's major unit (ISO 4217: CAD 2, JPY 0). */
const minorDigits = (currency: string | null): number =>
  currency ? (new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2) : 2;

/**
 * The seed's billing summary from the two amounts a stop has. The fee is what the trip is
 * charged for (its base fare; the hub knows no mileage or wait charges); the total adds the
 * order amount, which the summary showed as the total before stops had fees, so a fee-less trip
 * keeps its total. Summed in minor units so cents stay exact.
 */
function billingOf(f: TripFacts): Trip['billing_summary'] {
  if (f.orderAmount === null && f.fee === null) return null;
  const digits = minorDigits(f.currency);
  const scale = 10 ** digits;
  const total = Math.round((f.orderAmount ?? 0) * scale) + (f.fee ?? 0);
  return {
    billing_status: isTerminal(f.status) ? 'final' : 'estimated',
    total_amount: (total / scale).toFixed(digits),
    currency: f.currency,
    base_fare: f.fee === null ? null : (f.fee / scale).toFixed(digits),
    mileage_charge: null,
    wait_time_charge: null,
    is_final: isTerminal(f.status),
  };
}

const minutesBetween = (from: string | null, to: string | null): number | null => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 60_000) : null);

/**
 * The one Naveera trip: the Partner API's trips are this, and a webhook's or polled event's
 * `data.trip` is the seed's flattened subset of it (naveeraEventTrip). Fields the hub does not
 * know are null, never invented.
 */
export function naveeraTrip(f: TripFacts, opts: { billing: boolean }): Trip {
  const pickedUp = iso(f.pickedUpAt);
  const completed = iso(f.completedAt);
  const windowFrom = iso(f.windowFrom);
  return {
    id: f.tripId,
    trip_number: f.stopId,
    broker_trip_id: f.brokerTripId,
    external_trip_id: f.externalRef,
    trip_type: windowFrom ? 'scheduled' : null,
    trip_date: (windowFrom ?? iso(f.createdAt)).slice(0, 10),
    purpose: null,
    status: statusWordOf('naveera', f.status, f.failureReason) as Trip['status'],
    scheduled_pickup_time: windowFrom,
    actual_pickup_time: pickedUp,
    actual_dropoff_time: completed,
    estimated_duration_minutes: null,
    actual_duration_minutes: minutesBetween(pickedUp, completed),
    // The hub keeps addresses whole, so each is given whole as the street.
    pickup: { street: f.pickupAddress, city: null, state: null, zip_code: null, scheduled_time: windowFrom, completed_at: pickedUp },
    dropoff: { street: f.address, city: null, state: null, zip_code: null, scheduled_time: iso(f.windowTo), completed_at: completed },
    passenger_name: f.customerName,
    is_assigned: f.driverId !== null,
    vehicle_type: null,
    driver: f.driverId && f.driverName ? { driver_id: f.driverId, display_name: f.driverName } : null,
    vehicle: null,
    map_snapshot_url: null,
    route_snapshot_url: null,
    videos: [],
    cancellation_location: null,
    billing_summary: opts.billing ? billingOf(f) : null,
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
  };
}

/** The seed's webhook trip: the trip's flat fields, addresses as strings (and the status it left). */
export function naveeraEventTrip(trip: Trip, previousStatus: string | null) {
  return {
    id: trip.id,
    trip_number: trip.trip_number,
    broker_trip_id: trip.broker_trip_id,
    status: trip.status,
    previous_status: previousStatus,
    trip_date: trip.trip_date,
    scheduled_pickup_time: trip.scheduled_pickup_time,
    actual_pickup_time: trip.actual_pickup_time,
    actual_dropoff_time: trip.actual_dropoff_time,
    pickup_address: trip.pickup.street,
    dropoff_address: trip.dropoff.street,
    passenger_name: trip.passenger_name,
    is_assigned: trip.is_assigned,
    vehicle_type: trip.vehicle_type,
  };
}

/** EasyRoutes' Route object (its ROUTE_* topics carry it; driver.online/offline are not routes). */
const easyRoutesRoute = (r: RouteResource) => ({
  id: r.id,
  name: r.name,
  status: r.status.toUpperCase(),
  driver: r.driver,
  stops: r.stops.map((s) => ({ id: s.stop_id, position: s.position, status: statusWordOf('easyroutes', s.status), address: s.address, name: s.customer_name })),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  dispatchedAt: r.dispatched_at,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});
export const PROFILES: Record<ProviderName, ProviderProfile> = {
  courrex: {
    name: 'courrex',
    // The seed: driver.online "a driver starts an active route", driver.offline "finishes a
    // route or signs out". Going online is not starting a route, and no name fits an unassignment.
    names: {
      'stop.created': ['stop.created'],
      'stop.assigned': ['stop.assigned'],
      'stop.completed': ['stop.completed'],
      'stop.failed': ['stop.failed'],
      'route.started': ['driver.online'],
      'route.completed': ['driver.offline'],
      'driver.offline': ['driver.offline'],
      test: ['stop.created'],
    },
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    sign: bodyHmacHex('X-Courrex-Signature'),
    secretFormat: 'hex',
    disable: NO_SUCCESS_5_DAYS,
    // The seed shows no envelope; this mirrors its REST objects. A route's start or end is told
    // as the driver it concerns, with the route it started or finished.
    envelope: ({ event, name, messageId }) => {
      let data: unknown = event.payload;
      if (event.type.startsWith('route.')) {
        const r = routeOf(event);
        data = { id: r.driver.id, name: r.driver.name, status: name === 'driver.online' ? 'online' : 'offline', active_route_id: name === 'driver.online' ? r.id : null, route: { id: r.id, name: r.name, status: r.status, stop_ids: r.stops.map((x) => x.stop_id) } };
      }
      return { id: messageId, type: name, created_at: event.created_at, data };
    },
  },
  kourier: {
    name: 'kourier',
    names: {
      'stop.created': ['delivery.created'],
      'stop.updated': ['delivery.updated'],
      'stop.assigned': ['delivery.updated'],
      'stop.unassigned': ['delivery.updated'],
      'stop.picked_up': ['delivery.updated'],
      'stop.in_transit': ['delivery.updated'],
      'stop.completed': ['delivery.updated'],
      'stop.failed': ['delivery.updated'],
      'stop.cancelled': ['delivery.cancelled'],
      test: ['delivery.created'],
    },
    statusWords: { completed: 'delivered' },
    // The seed: delivery.updated is "a delivery's status is updated".
    onlyOnStatusChange: ['stop.updated'],
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    sign: bearerToken,
    secretFormat: 'base64',
    disable: NO_SUCCESS_5_DAYS,
    envelope: ({ event, name }) => {
      const s = stopOf(event);
      const reason = reasonOf(s);
      return { event: name, delivery_id: s.id, status: word('kourier', s), timestamp: event.created_at, ...(reason ? { reason } : {}) };
    },
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
    statusWords: { assigned: 'driver_assigned', completed: 'delivered' },
    timeoutMs: 10_000,
    // The seed: 1st retry 1 min, 2nd 10 min, 3rd (final) 1 h — four tries in all.
    retryDelaysSeconds: [MIN, 10 * MIN, HOUR],
    multipleSignatures: true,
    sign: timestampedHex('Zippex-Signature'),
    secretFormat: 'whsec',
    disable: { kind: 'failure_rate', windowHours: 24, threshold: 0.9 },
    envelope: ({ event, name, messageId }) => {
      const stop = stopOf(event);
      const completedAt = (stop.completion as { completed_at?: string } | null)?.completed_at;
      const reason = reasonOf(stop);
      return {
        id: messageId,
        type: name,
        created_at: event.created_at,
        data: {
          id: stop.id,
          status: word('zippex', stop),
          ...(stop.fee !== null && stop.fee !== undefined ? { fee: stop.fee, currency: stop.currency?.toLowerCase() ?? null } : {}),
          pickup: { address: stop.pickup?.address ?? null, name: stop.pickup?.name ?? null },
          dropoff: { address: stop.address, name: stop.customer_name },
          metadata: { order_id: stop.external_ref },
          ...(completedAt ? { delivered_at: completedAt } : {}),
          ...(reason ? { reason } : {}),
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
      'stop.unassigned': ['STOP_STATUS_UPDATED'],
      'stop.picked_up': ['STOP_STATUS_UPDATED'],
      'stop.in_transit': ['STOP_STATUS_UPDATED'],
      'stop.completed': ['STOP_STATUS_UPDATED'],
      'stop.failed': ['STOP_STATUS_UPDATED'],
      'stop.cancelled': ['STOP_STATUS_UPDATED'],
      'route.created': ['ROUTE_CREATED'],
      'route.updated': ['ROUTE_UPDATED'],
      'route.deleted': ['ROUTE_DELETED'],
      'route.dispatched': ['ROUTE_DISPATCHED'],
      'route.started': ['ROUTE_STARTED'],
      'route.completed': ['ROUTE_COMPLETED'],
      test: ['TEST'],
    },
    statusWords: { pending: 'PENDING', assigned: 'READY', picked_up: 'OUT_FOR_DELIVERY', in_transit: 'OUT_FOR_DELIVERY', completed: 'DELIVERED', failed: 'ATTEMPTED', cancelled: 'CANCELLED' },
    // The seed: STOP_STATUS_UPDATED is "an individual route stop status has changed".
    onlyOnStatusChange: ['stop.updated', 'stop.assigned', 'stop.unassigned', 'stop.picked_up', 'stop.in_transit', 'stop.completed', 'stop.failed', 'stop.cancelled'],
    timeoutMs: 15_000,
    retryDelaysSeconds: DEFAULT_DELAYS,
    multipleSignatures: false,
    sign: withHeaders(bodyHmacBase64OfDecodedKey('X-EasyRoutes-Hmac-Sha256'), (input) => ({
      'X-EasyRoutes-Event-Id': (JSON.parse(input.body) as { eventId: string }).eventId,
      'X-EasyRoutes-Topic': input.name,
      'X-EasyRoutes-Event-Timestamp': input.eventTimestamp,
      'X-EasyRoutes-Version': 'V2024_07',
      ...(input.objectId ? { 'X-EasyRoutes-Object-Id': input.objectId } : {}),
    })),
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
      if (event.type.startsWith('route.')) {
        const r = routeOf(event);
        return { ...base, objectId: r.id, payload: easyRoutesRoute(r) };
      }
      const s = stopOf(event);
      return {
        ...base,
        objectId: s.id,
        payload: {
          id: s.id,
          status: word('easyroutes', s),
          address: s.address,
          name: s.customer_name,
          phone: s.phone,
          notes: s.notes,
          externalId: s.external_ref,
          driverId: s.driver_id,
          lat: s.geocoded?.lat ?? null,
          lng: s.geocoded?.lng ?? null,
          timeWindow: s.time_window ? { start: s.time_window.from, end: s.time_window.to } : null,
          reason: reasonOf(s),
          // Snapshots without updated_at (older events, hand-made ones) were last changed when made.
  updatedAt: s.updated_at ?? s.created_at,
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
      'stop.unassigned': ['trip.status_changed'],
      'stop.picked_up': ['trip.status_changed'],
      'stop.in_transit': ['trip.status_changed'],
      'stop.completed': ['trip.completed', 'trip.status_changed'],
      'stop.failed': ['trip.status_changed'],
      'stop.cancelled': ['trip.canceled', 'trip.status_changed'],
      'stop.eta_updated': ['trip.eta_updated'],
      test: ['trip.created'],
    },
    statusWords: { pending: 'scheduled', assigned: 'assigned', picked_up: 'arrived', in_transit: 'in_progress', completed: 'finished', cancelled: 'canceled' },
    failedWordByReason: NAVEERA_FAILED_STATUS,
    // The seed: trip.status_changed is "any status change"; a plain edit is none.
    onlyOnStatusChange: ['stop.updated'],
    timeoutMs: 5_000,
    // The seed: immediate, 5 s, 30 s, 2 min, 10 min, 1 h, 4 h, 24 h (8 tries, 29 h 12 min).
    retryDelaysSeconds: [5, 30, 2 * MIN, 10 * MIN, HOUR, 4 * HOUR, 24 * HOUR],
    multipleSignatures: true,
    sign: withHeaders(timestampedHex('X-Naveera-Signature'), (input) => ({ 'X-Naveera-Event-Type': input.name, 'X-Naveera-Event-Id': input.messageId })),
    secretFormat: 'hex',
    disable: NO_SUCCESS_5_DAYS,
    envelope: ({ event, name, messageId }) => {
      const s = stopOf(event);
      const trip = naveeraTrip(tripFactsOfStop(s, event.trip_id ?? SAMPLE_TRIP_ID), { billing: false });
      return {
        event_id: messageId,
        event_type: name,
        api_version: NAVEERA_API_VERSION,
        created_at: event.created_at,
        data: {
          trip: {
            // A stop fails from in_transit, so the previous status never depends on a reason.
            ...naveeraEventTrip(trip, statusWordOf('naveera', event.previous_status, failureReasonOf(s))),
            ...(s.eta_minutes !== undefined ? { eta_minutes: s.eta_minutes, estimated_arrival_time: s.eta_at ?? null } : {}),
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
    sign: standardWebhooks,
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
  if (profile.onlyOnStatusChange?.includes(event.type)) {
    const stop = event.payload as unknown as StopResource;
    const reason = stop.failure ? failureReasonOf(stop) : null;
    if (statusWordOf(provider, event.previous_status, reason) === statusWordOf(provider, stop.status, reason)) return [];
  }
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
export function retryDelaysOf(sub: { provider: ProviderName; retry_schedule: readonly number[] | null }): number[] {
  return [...(sub.retry_schedule ?? PROFILES[sub.provider].retryDelaysSeconds)];
}

/** Tries in one series (a new delivery, or one sent again): the first and each retry. */
export const triesPerSeries = (sub: { provider: ProviderName; retry_schedule: readonly number[] | null }): number => retryDelaysOf(sub).length + 1;

/** One delivery per event, subscription and name: the same three always give the same id. */
export const deliveryIdFor = (eventId: string, subscriptionId: string, name: string): string =>
  deterministicId('dlv', eventId, subscriptionId, name);
