/**
 * The route state machine, as data: which change may happen from which status, and the event it
 * records. Pure, so the workflow's validators, the activity and the API read the same table.
 */
import type { CanonicalEvent } from '../dialects/profiles';
import type { RouteStatus } from '../schemas/routes';

export type RouteChangeKind = 'dispatch' | 'start' | 'patch' | 'delete' | 'complete';

export const ROUTE_CHANGES: Record<RouteChangeKind, { from: readonly RouteStatus[]; to: RouteStatus | null; event: CanonicalEvent }> = {
  dispatch: { from: ['planned'], to: 'dispatched', event: 'route.dispatched' },
  start: { from: ['dispatched'], to: 'started', event: 'route.started' },
  patch: { from: ['planned', 'dispatched', 'started'], to: null, event: 'route.updated' },
  // A route ends by itself when its last stop has ended, whatever step it had reached.
  complete: { from: ['planned', 'dispatched', 'started'], to: 'completed', event: 'route.completed' },
  delete: { from: ['planned', 'dispatched', 'started', 'completed'], to: 'deleted', event: 'route.deleted' },
};

export const canChangeRoute = (kind: RouteChangeKind, status: RouteStatus): boolean => ROUTE_CHANGES[kind].from.includes(status);

export const isRouteOver = (status: RouteStatus): boolean => status === 'completed' || status === 'deleted';

/** Deterministic event id for a route's n-th change: a retried write can never duplicate it. */
export const routeEventId = (routeId: string, seq: number): string => `evt_${routeId.replace(/^rte_/, '')}_r${String(seq).padStart(4, '0')}`;
