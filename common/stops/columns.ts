/** Request fields → stop table columns (create and patch share it; bulk import too). */
import type { Insertable } from 'kysely';
import type { StopsTable } from '../db/schema';
import type { StopCreateInput, StopPatchInput } from '../schemas/stops';

type StopColumns = Partial<Insertable<StopsTable>>;

export function stopColumns(input: StopCreateInput | StopPatchInput): StopColumns {
  const cols: StopColumns = {};
  if (input.address !== undefined) cols.address = input.address;
  if (input.customer_name !== undefined) cols.customer_name = input.customer_name;
  if (input.phone !== undefined) cols.phone = input.phone;
  if (input.order_amount !== undefined) cols.order_amount = input.order_amount;
  if (input.payment_method !== undefined) cols.payment_method = input.payment_method;
  if (input.notes !== undefined) cols.notes = input.notes;
  if (input.external_ref !== undefined) cols.external_ref = input.external_ref;
  if (input.zone !== undefined) cols.zone = input.zone;
  if (input.time_window !== undefined) {
    cols.time_window_from = input.time_window?.from ?? null;
    cols.time_window_to = input.time_window?.to ?? null;
  }
  return cols;
}
