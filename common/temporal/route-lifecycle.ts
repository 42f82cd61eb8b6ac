/**
 * The route workflow's contract: its id, input, updates, signal, query, start options and the
 * activities it runs. One workflow per route (`route/<route id>`) owns the route's lifecycle,
 * planned → dispatched → started → completed (or deleted); the API sends it changes through
 * these definitions only, and a stop's workflow tells it when one of its stops has ended.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RoutePatchInput, RouteResource } from '../schemas/routes';
import type { StopRejection } from '../stops/failures';
import { SA } from './search-attributes';
import { ONE_RUN_PER_ID } from './one-run-per-id';
import { fairShareOf } from './fair-share';

export const routeWorkflowId = (routeId: string): string => `route/${routeId}`;

export interface RouteWorkflowInput {
  tenantId: string;
  routeId: string;
}

export type RouteLifecycleWorkflow = (input: RouteWorkflowInput) => Promise<{ route_id: string; status: string }>;

/** One change of a route, as the workflow hands it to its write. */
export type RouteChange = { kind: 'dispatch' } | { kind: 'start' } | { kind: 'patch'; patch: RoutePatchInput } | { kind: 'delete' } | { kind: 'complete' };

export type RouteResult = { ok: true; route: RouteResource } | StopRejection;

/** The activities the workflow runs (activities/routes.ts). */
export interface RouteActivities {
  loadRoute(input: RouteWorkflowInput): Promise<RouteResource | null>;
  /**
   * Gives every stop of the route to its driver, each through its own stop workflow (a stop
   * already given to that driver is left as it is); refused with every stop that cannot be.
   */
  assignRouteStops(input: RouteWorkflowInput): Promise<RouteResult>;
  /** Applies change number `seq` with its event; a repeat of an applied change returns the route as it is. */
  applyRouteChange(input: RouteWorkflowInput & { seq: number; change: RouteChange }): Promise<RouteResult>;
}

export const dispatchRouteUpdate = defineUpdate<RouteResource>('dispatch');
export const startRouteUpdate = defineUpdate<RouteResource>('start');
export const patchRouteUpdate = defineUpdate<RouteResource, [RoutePatchInput]>('patch');
export const deleteRouteUpdate = defineUpdate<RouteResource>('delete');
/** Sent by a stop's workflow when its stop has ended (completed, failed or cancelled). */
export const routeStopEndedSignal = defineSignal<[{ stopId: string }]>('stopEnded');
export const routeStateQuery = defineQuery<RouteResource | null>('state');

export function routeWorkflowOptions(taskQueue: string, input: RouteWorkflowInput): WorkflowStartOptions<RouteLifecycleWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' } {
  return {
    workflowId: routeWorkflowId(input.routeId),
    taskQueue,
    args: [input],
    ...ONE_RUN_PER_ID,
    ...fairShareOf(input.tenantId),
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.RouteId, value: input.routeId },
    ],
  };
}
