/** Request fields → the stop row's columns (create, patch and bulk import share it). */
import type { StopRow } from '../db/schema';
import type { StopCreateInput, StopPatchInput } from '../schemas/stops';

/** The columns a create or a patch sets, in the row's own types (so they serve both the write and the event). */
export type StopFieldColumns = Partial<
  Pick<
    StopRow,
    | 'address'
    | 'customer_name'
    | 'phone'
    | 'order_amount'
    | 'payment_method'
    | 'notes'
    | 'external_ref'
    | 'zone'
    | 'time_window_from'
    | 'time_window_to'
    | 'broker_id'
    | 'broker_trip_id'
    | 'pickup_address'
    | 'pickup_name'
    | 'fee'
    | 'currency'
  >
>;

export function stopColumns(input: StopCreateInput | StopPatchInput): StopFieldColumns {
  const cols: StopFieldColumns = {};
  if (input.address !== undefined) cols.address = input.address;
  if (input.customer_name !== undefined) cols.customer_name = input.customer_name;
  if (input.phone !== undefined) cols.phone = input.phone;
  // numeric(14,2): kept as a string, as pg returns it, so cents stay exact.
  if (input.order_amount !== undefined) cols.order_amount = input.order_amount === null ? null : input.order_amount.toFixed(2);
  if (input.payment_method !== undefined) cols.payment_method = input.payment_method;
  if (input.notes !== undefined) cols.notes = input.notes;
  if (input.external_ref !== undefined) cols.external_ref = input.external_ref;
  if (input.zone !== undefined) cols.zone = input.zone;
  if (input.broker_id !== undefined) cols.broker_id = input.broker_id;
  if (input.broker_trip_id !== undefined) cols.broker_trip_id = input.broker_trip_id;
  if (input.pickup !== undefined) {
    cols.pickup_address = input.pickup?.address ?? null;
    cols.pickup_name = input.pickup?.name ?? null;
  }
  if (input.fee !== undefined) cols.fee = input.fee === null ? null : String(input.fee);
  if (input.currency !== undefined) cols.currency = input.currency;
  if (input.time_window !== undefined) {
    cols.time_window_from = input.time_window ? new Date(input.time_window.from) : null;
    cols.time_window_to = input.time_window ? new Date(input.time_window.to) : null;
  }
  return cols;
}
