/**
 * The stop state machine, as data. Pure and dependency-free: the workflow's update validators,
 * the API and the tests all read this one table.
 */
export const STOP_STATUSES = ['pending', 'assigned', 'picked_up', 'in_transit', 'completed', 'failed', 'cancelled'] as const;
export type StopStatus = (typeof STOP_STATUSES)[number];

export const TERMINAL_STATUSES: readonly StopStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

export type CanonicalStopEvent =
  | 'stop.created'
  | 'stop.updated'
  | 'stop.assigned'
  | 'stop.unassigned'
  | 'stop.picked_up'
  | 'stop.in_transit'
  | 'stop.completed'
  | 'stop.failed'
  | 'stop.cancelled';

export interface TransitionRule {
  from: readonly StopStatus[];
  to: StopStatus;
  event: CanonicalStopEvent;
}

export const TRANSITIONS = {
  assign: { from: ['pending'], to: 'assigned', event: 'stop.assigned' },
  unassign: { from: ['assigned'], to: 'pending', event: 'stop.unassigned' },
  pick_up: { from: ['assigned'], to: 'picked_up', event: 'stop.picked_up' },
  depart: { from: ['picked_up'], to: 'in_transit', event: 'stop.in_transit' },
  complete: { from: ['in_transit'], to: 'completed', event: 'stop.completed' },
  fail: { from: ['in_transit'], to: 'failed', event: 'stop.failed' },
  cancel: { from: ['pending', 'assigned', 'picked_up', 'in_transit'], to: 'cancelled', event: 'stop.cancelled' },
} as const satisfies Record<string, TransitionRule>;

export type TransitionAction = keyof typeof TRANSITIONS;
export const TRANSITION_ACTIONS = Object.keys(TRANSITIONS) as TransitionAction[];

/** Action → URL segment (`pick_up` → `/v1/stops/:id/pick-up`). */
export const actionPath = (action: TransitionAction): string => action.replace(/_/g, '-');

export function canTransition(action: TransitionAction, from: string): boolean {
  return (TRANSITIONS[action].from as readonly string[]).includes(from);
}

export const FAILURE_REASONS = ['not_home', 'address_not_found', 'refused', 'damaged', 'other'] as const;
export const PAYMENT_METHODS = ['prepaid', 'cash', 'card'] as const;
export type StopSource = 'api' | 'import' | 'system';

/** Deterministic event id for a stop's n-th change: a retried write can never duplicate it. */
export function stopEventId(stopId: string, seq: number): string {
  return `evt_${stopId.replace(/^stop_/, '')}_${String(seq).padStart(4, '0')}`;
}
