/** A tenant may hand a stop only to a partner (broker) it is linked with. */
import type { Db } from '../common/db/connect';
import { ApiError, type FieldError, listedErrors } from './errors';

/** The broker ids among `wanted` that the tenant is not linked with (unknown partners included). */
async function unlinked(db: Db, tenantId: string, wanted: readonly (string | null | undefined)[]): Promise<Set<string>> {
  const ids = [...new Set(wanted.filter((id): id is string => !!id))];
  if (ids.length === 0) return new Set();
  const linked = await db.selectFrom('partner_links').select('partner_id').where('tenant_id', '=', tenantId).where('partner_id', 'in', ids).execute();
  const ok = new Set(linked.map((l) => l.partner_id));
  return new Set(ids.filter((id) => !ok.has(id)));
}

const notLinked = 'is not a partner this tenant is linked with';

/** 400 on `broker_id` unless the tenant is linked with that partner. */
export async function assertBrokerLinked(db: Db, tenantId: string, brokerId: string | null | undefined): Promise<void> {
  if ((await unlinked(db, tenantId, [brokerId])).size) {
    throw new ApiError(400, 'validation_error', `broker_id: ${notLinked}`, { field: 'broker_id', value: brokerId });
  }
}

/** The same for every item of an import, naming each bad item by index. */
export async function assertBrokersLinked(db: Db, tenantId: string, items: readonly { broker_id?: string | null }[]): Promise<void> {
  const bad = await unlinked(db, tenantId, items.map((i) => i.broker_id));
  if (bad.size === 0) return;
  const errors: FieldError[] = items.flatMap((item, index) =>
    item.broker_id && bad.has(item.broker_id) ? [{ index, field: 'broker_id', value: item.broker_id, message: notLinked }] : [],
  );
  throw new ApiError(400, 'validation_error', `${errors.length} stops name a broker this tenant is not linked with; nothing was imported`, {
    invalid_items: [...new Set(errors.map((e) => e.index))],
    ...listedErrors(errors),
  });
}
