/** The stop and route state machines, as the spec's tables: every action from every status. */
import { canTransition, STOP_STATUSES, type StopStatus, TRANSITION_ACTIONS, TRANSITIONS, actionPath, isTerminal } from '../../common/stops/lifecycle';
import { canChangeRoute, isRouteOver, ROUTE_CHANGES, type RouteChangeKind } from '../../common/routes/lifecycle';
import type { RouteStatus } from '../../common/schemas/routes';

/** From ../shared/spec/api.md: the one status each move may start from (cancel: any not ended). */
const STOP_MOVES: Record<string, { from: StopStatus[]; to: StopStatus }> = {
  assign: { from: ['pending'], to: 'assigned' },
  unassign: { from: ['assigned'], to: 'pending' },
  pick_up: { from: ['assigned'], to: 'picked_up' },
  depart: { from: ['picked_up'], to: 'in_transit' },
  complete: { from: ['in_transit'], to: 'completed' },
  fail: { from: ['in_transit'], to: 'failed' },
  cancel: { from: ['pending', 'assigned', 'picked_up', 'in_transit'], to: 'cancelled' },
};

describe('stop moves', () => {
  const cases = TRANSITION_ACTIONS.flatMap((action) => STOP_STATUSES.map((from) => [action, from, STOP_MOVES[action]!.from.includes(from)] as const));
  test.each(cases)('%s from %s: allowed %s', (action, from, allowed) => {
    expect(canTransition(action, from)).toBe(allowed);
  });

  test.each(TRANSITION_ACTIONS)('%s leads where the spec says, under its URL segment', (action) => {
    expect(TRANSITIONS[action].to).toBe(STOP_MOVES[action]!.to);
    expect(actionPath(action)).toBe(action.replace('_', '-'));
  });

  test('no move leaves an ended stop', () => {
    for (const status of STOP_STATUSES.filter(isTerminal)) expect(TRANSITION_ACTIONS.filter((a) => canTransition(a, status))).toEqual([]);
    expect(STOP_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });
});

describe('route changes', () => {
  const STATUSES: RouteStatus[] = ['planned', 'dispatched', 'started', 'completed', 'deleted'];
  const ALLOWED: Record<RouteChangeKind, RouteStatus[]> = {
    dispatch: ['planned'],
    start: ['dispatched'],
    patch: ['planned', 'dispatched', 'started'],
    complete: ['planned', 'dispatched', 'started'],
    delete: ['planned', 'dispatched', 'started', 'completed'],
  };
  const cases = (Object.keys(ROUTE_CHANGES) as RouteChangeKind[]).flatMap((kind) => STATUSES.map((s) => [kind, s, ALLOWED[kind].includes(s)] as const));
  test.each(cases)('%s from %s: allowed %s', (kind, status, allowed) => {
    expect(canChangeRoute(kind, status)).toBe(allowed);
  });

  test('a route is over once completed or deleted', () => {
    expect(STATUSES.filter(isRouteOver)).toEqual(['completed', 'deleted']);
  });
});
