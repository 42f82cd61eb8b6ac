/**
 * `stop.eta_updated`: when a driver's location report moves the ETA of the driver's current stop
 * by 2 minutes or more (or gives the stop its first ETA), at most once a minute per stop. The
 * check and the announcement are one conditional statement, so two reports racing each other
 * cannot both announce. The ETA is not a change of the stop: its version and `updated_at` stay.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect';
import type { DriverRow } from '../db/schema';
import { eventWrites, type NewEvent, notifyIfQueued } from '../events/append';
import { newId } from '../ids';
import { toStopResource } from '../stops/resource';
import type { StopStatus } from '../stops/lifecycle';
import { activeSubscriptions, planDeliveries } from '../subscriptions/plan';
import { etaMinutes } from './eta';

/** The smallest move of the arrival time worth telling subscribers about. */
export const ETA_MOVE_SECONDS = 120;
/** At most one announcement per stop in this many seconds. */
export const ETA_MIN_INTERVAL_SECONDS = 60;

/** A driver's stops on the way, the one being worked first. */
export const OPEN_STOP_STATUSES: StopStatus[] = ['in_transit', 'picked_up', 'assigned'];

/** The driver's current stop: one already on its way first, then by time window, then age. */
export function currentStopOf(db: Db, driverId: string) {
  return db
    .selectFrom('stops')
    .selectAll()
    .where('driver_id', '=', driverId)
    .where('status', 'in', OPEN_STOP_STATUSES)
    .orderBy(sql`array_position(${sql.val(OPEN_STOP_STATUSES)}::text[], status)`)
    .orderBy(sql`time_window_from asc nulls last`)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
}

/** The ETA in minutes from the driver's last position to the stop, when both are known. */
export function etaToStop(driver: Pick<DriverRow, 'lat' | 'lng' | 'speed_mps'>, stop: { geocoded: { lat: number | null; lng: number | null } | null } | undefined): number | null {
  const target = stop?.geocoded;
  if (driver.lat === null || driver.lng === null || target?.lat == null || target.lng == null) return null;
  return etaMinutes({ lat: driver.lat, lng: driver.lng }, { lat: target.lat, lng: target.lng }, driver.speed_mps);
}

/** Announces the driver's current stop's new ETA if it moved enough; returns whether it did. */
export async function announceEtaIfMoved(db: Db, driver: DriverRow): Promise<boolean> {
  const stop = await currentStopOf(db, driver.id);
  const minutes = etaToStop(driver, stop);
  if (!stop || minutes === null) return false;
  const now = new Date();
  const etaAt = new Date(now.getTime() + minutes * 60_000);
  const movedEnough = !stop.eta_at || Math.abs(etaAt.getTime() - stop.eta_at.getTime()) >= ETA_MOVE_SECONDS * 1000;
  const quietLongEnough = !stop.eta_announced_at || now.getTime() - stop.eta_announced_at.getTime() >= ETA_MIN_INTERVAL_SECONDS * 1000;
  if (!movedEnough || !quietLongEnough) return false;

  const event: NewEvent = {
    id: newId('evt'),
    type: 'stop.eta_updated',
    subjectType: 'stop',
    subjectId: stop.id,
    previousStatus: stop.status,
    payload: { ...toStopResource(stop), eta_minutes: minutes, eta_at: etaAt.toISOString() },
    brokerId: stop.broker_id,
  };
  const deliveries = planDeliveries(await activeSubscriptions(db, driver.tenant_id, { partnerIds: [stop.broker_id] }), [event]);
  // Re-checked in the statement against what is stored now: a concurrent report may have won.
  const { rows } = await sql<{ n: string }>`
    with changed as (
      update stops set eta_at = ${etaAt}, eta_announced_at = ${now}
      where id = ${stop.id} and driver_id = ${driver.id} and status = ${stop.status}
        and (eta_at is null or abs(extract(epoch from (eta_at - ${etaAt}::timestamptz))) >= ${ETA_MOVE_SECONDS})
        and (eta_announced_at is null or eta_announced_at <= ${now}::timestamptz - make_interval(secs => ${ETA_MIN_INTERVAL_SECONDS}))
      returning id
    ), ${eventWrites(driver.tenant_id, [event], deliveries)}
    select count(*)::text as n ${notifyIfQueued(deliveries)} from changed`.execute(db);
  return rows[0]?.n === '1';
}
