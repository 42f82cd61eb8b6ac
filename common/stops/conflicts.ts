/**
 * The 409s for a stop value that is taken (an external_ref per tenant, a broker_trip_id per
 * broker), in one wording: the API's checks before a write and the answers to a write that lost
 * the race to a concurrent request (common/db/errors.ts `raceAnswer`, in the API and in the
 * workflows' activities) build them here, so the two can never differ.
 */
import type { Db } from '../db/connect';
import type { StopCreateInput } from '../schemas/stops';

/** A 409's message and details, as the API answers it and as an activity's `Conflict` carries it. */
export interface ConflictReason {
  message: string;
  details: Record<string, unknown>;
}

export const externalRefTaken = (ref: string | null | undefined): ConflictReason => ({
  message: `a stop with external_ref "${ref}" already exists`,
  details: { field: 'external_ref', value: ref ?? null, reason: 'duplicate_external_ref' },
});

export const brokerTripIdTaken = (value: string | null | undefined): ConflictReason => ({
  message: 'this broker already has a trip with this broker_trip_id',
  details: { field: 'broker_trip_id', value: value ?? null, reason: 'duplicate_broker_trip_id' },
});

type ImportItem = Pick<StopCreateInput, 'external_ref' | 'broker_id' | 'broker_trip_id'>;

/**
 * Why an import cannot be committed because other stops hold its values (stops of this same
 * import are its own: a keyed retry): the external_refs taken in the tenant first, else the
 * broker_trip_ids taken for their brokers, each named with its first index in the batch and the
 * stop that holds it. Undefined when nothing is taken.
 */
export async function importValuesTaken(db: Db, tenantId: string, importId: string, items: readonly ImportItem[]): Promise<ConflictReason | undefined> {
  const notThisImport = db.selectFrom('stops').where((eb) => eb.or([eb('import_id', 'is', null), eb('import_id', '!=', importId)]));
  const indexOf = (match: (item: ImportItem) => boolean): number => items.findIndex(match);

  const refs = [...new Set(items.flatMap((i) => (i.external_ref ? [i.external_ref] : [])))];
  if (refs.length) {
    const taken = await notThisImport.select(['id', 'external_ref']).where('tenant_id', '=', tenantId).where('external_ref', 'in', refs).orderBy('id').execute();
    if (taken.length) {
      return {
        message: 'stops with these external_refs exist already; nothing was imported',
        details: { reason: 'duplicate_external_ref', existing: taken.map((t) => ({ external_ref: t.external_ref, index: indexOf((i) => i.external_ref === t.external_ref), stop_id: t.id })) },
      };
    }
  }

  const trips = items.flatMap((i) => (i.broker_id && i.broker_trip_id ? [{ broker_id: i.broker_id, broker_trip_id: i.broker_trip_id }] : []));
  if (trips.length) {
    const taken = await notThisImport
      .select(['id', 'broker_id', 'broker_trip_id'])
      .where((eb) => eb.or(trips.map((t) => eb.and([eb('broker_id', '=', t.broker_id), eb('broker_trip_id', '=', t.broker_trip_id)]))))
      .orderBy('id')
      .execute();
    if (taken.length) {
      return {
        message: 'stops with these broker_trip_ids exist already for their brokers; nothing was imported',
        details: {
          reason: 'duplicate_broker_trip_id',
          existing: taken.map((t) => ({ broker_id: t.broker_id, broker_trip_id: t.broker_trip_id, index: indexOf((i) => i.broker_id?.toLowerCase() === t.broker_id && i.broker_trip_id === t.broker_trip_id), stop_id: t.id })),
        },
      };
    }
  }
  return undefined;
}
