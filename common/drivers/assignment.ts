/** Whether a stop may be given to a driver: the driver exists, is online and works the stop's zone. */
import type { StopRejection } from '../stops/failures';

export function assignmentProblem(
  stop: { zone: string | null },
  driver: { id: string; status: string; zone: string | null } | undefined,
  driverId: string,
): StopRejection | null {
  if (!driver) {
    return { ok: false, type: 'DriverNotFound', message: `no driver ${driverId}`, details: { field: 'driver_id', value: driverId } };
  }
  if (driver.status !== 'online') {
    return {
      ok: false,
      type: 'DriverUnavailable',
      message: `driver ${driverId} is offline`,
      details: { reason: 'driver_offline', driver_id: driverId },
    };
  }
  // A stop or driver without a zone can pair with anything; two different zones cannot.
  if (stop.zone && driver.zone && stop.zone !== driver.zone) {
    return {
      ok: false,
      type: 'ZoneMismatch',
      message: `driver ${driverId} works zone ${driver.zone}, the stop is in zone ${stop.zone}`,
      details: { reason: 'zone_mismatch', stop_zone: stop.zone, driver_zone: driver.zone },
    };
  }
  return null;
}
