/**
 * What a dialect is (`ProviderProfile`) and what every dialect's row is built from: the canonical
 * events, an event as a delivery sees it, the shared schedules, and a stop's status in a
 * dialect's words. Each dialect fills one ProviderProfile in its own file (./courrex.ts, …) and
 * ./profiles.ts registers them; `../shared/spec/providers.md` and the seeds are the source of
 * every value in them.
 */
import type { RouteResource } from '../schemas/routes';
import type { StopResource } from '../schemas/stops';
import type { SignatureScheme } from './signature-schemes';

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
  /** The dialect's name: its key in the registry (./profiles.ts). */
  name: string;
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

export const MIN = 60;
export const HOUR = 3600;
/** The hub's default for the seeds that are silent (Standard Webhooks' own schedule). */
export const DEFAULT_DELAYS = [5, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
export const NO_SUCCESS_5_DAYS: DisablePolicy = { kind: 'no_success', windowHours: 120 };

/** A stop's event carries the stop; an ETA event adds the ETA to it. */
type StopPayload = StopResource & { eta_minutes?: number; eta_at?: string };
export const stopOf = (e: HubEvent): StopPayload => e.payload as unknown as StopPayload;
export const routeOf = (e: HubEvent): RouteResource => e.payload as unknown as RouteResource;

/**
 * Why a stop ended without delivery, where the dialect has a field for it: the failure's reason
 * code (`not_home`, …) or the cancellation's free text.
 */
export function reasonOf(stop: Pick<StopResource, 'failure' | 'cancellation'>): string | null {
  const r = (stop.failure as { reason?: unknown } | null)?.reason ?? (stop.cancellation as { reason?: unknown } | null)?.reason;
  return typeof r === 'string' ? r : null;
}

export const failureReasonOf = (s: StopResource): string | null => ((s.failure as { reason?: unknown } | null)?.reason as string | undefined) ?? null;

/** The words a dialect uses for the hub's statuses (part of its profile). */
export type StatusWords = Pick<ProviderProfile, 'statusWords' | 'failedWordByReason'>;

/** A hub status in a dialect's words; a failed stop's word may depend on its reason (naveera). */
export function statusWordIn(words: StatusWords, status: string | null | undefined, failureReason?: string | null): string | null {
  if (!status) return null;
  if (status === 'failed' && words.failedWordByReason) return words.failedWordByReason[failureReason ?? 'other'] ?? words.failedWordByReason.other ?? status;
  return words.statusWords?.[status] ?? status;
}

/** The stop's status in the dialect's words. */
export const wordOf = (words: StatusWords, s: StopResource): string | null => statusWordIn(words, s.status, failureReasonOf(s));
