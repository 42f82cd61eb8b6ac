/**
 * The stop lifecycle workflow's contract: its id, input, updates, query, start options and the
 * activities it runs. The workflow (workflows/stop-lifecycle.ts) implements it; the API, the
 * lifecycle starter and imports start it and send it changes through these definitions only.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { GeocodedColumn } from '../db/schema';
import type { ActionPayloads, StopPatchInput, StopResource } from '../schemas/stops';
import type { StopRejection } from '../stops/failures';
import { type StopSource, type StopStatus, TRANSITION_ACTIONS, type TransitionAction } from '../stops/lifecycle';
import { SA } from './search-attributes';
import { ONE_RUN_PER_ID } from './one-run-per-id';
import { fairShareOf } from './fair-share';

export const stopWorkflowId = (stopId: string): string => `stop/${stopId}`;

export interface StopWorkflowInput {
  tenantId: string;
  stopId: string;
  /** The stop as it was committed (imports and the starter pass it); otherwise the workflow reads it. */
  existing?: StopResource;
}

export interface StopWorkflowResult {
  stop_id: string;
  status: string;
}

export type StopLifecycleWorkflow = (input: StopWorkflowInput) => Promise<StopWorkflowResult>;

export interface StopWorkflowState {
  stop: StopResource | null;
  pending_transitions: StopStatus[];
  rejected: Omit<StopRejection, 'ok'> | null;
}

/** One change of a stop, as the workflow hands it to its write. */
export type StopChange =
  | { kind: 'transition'; action: TransitionAction; payload: ActionPayloads[TransitionAction] }
  | { kind: 'patch'; patch: StopPatchInput };

/** A change's outcome; `routeId` names the route the stop is on, whose workflow hears when it ends. */
export type StopResult = { ok: true; stop: StopResource; routeId?: string | null } | StopRejection;

/** The activities the workflow runs (activities/stops.ts, activities/geocoding.ts). */
export interface StopActivities {
  loadStop(input: { tenantId: string; stopId: string }): Promise<StopResource | null>;
  /** Applies change number `seq`; a repeat of an applied change returns the stop as it is. */
  applyStopChange(input: { tenantId: string; stopId: string; seq: number; change: StopChange; source: StopSource }): Promise<StopResult>;
  /** Stores a geocoding result unless the address changed meanwhile. */
  saveGeocode(input: { stopId: string; address: string; geocoded: GeocodedColumn }): Promise<boolean>;
}

export interface GeocodingActivities {
  geocodeAddress(input: { address: string }): Promise<GeocodedColumn>;
}

export const patchStopUpdate = defineUpdate<StopResource, [StopPatchInput]>('patch');
export const stopTransitionUpdates = Object.fromEntries(
  TRANSITION_ACTIONS.map((action) => [action, defineUpdate<StopResource, [ActionPayloads[typeof action]]>(action)]),
) as { [A in TransitionAction]: ReturnType<typeof defineUpdate<StopResource, [ActionPayloads[A]]>> };
export const stopStateQuery = defineQuery<StopWorkflowState>('state');

/**
 * A second start (the starter and a move racing, a re-run import step) joins the running
 * workflow; a finished one is never started again, as its stop can no longer change.
 */
export function stopWorkflowOptions(
  taskQueue: string,
  input: StopWorkflowInput,
): WorkflowStartOptions<StopLifecycleWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' } {
  return {
    workflowId: stopWorkflowId(input.stopId),
    taskQueue,
    args: [input],
    ...ONE_RUN_PER_ID,
    ...fairShareOf(input.tenantId),
    typedSearchAttributes: [
      { key: SA.TenantId, value: input.tenantId },
      { key: SA.StopId, value: input.stopId },
    ],
  };
}
