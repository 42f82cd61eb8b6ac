import type { DriverRow } from '../db/schema';
import { iso } from '../iso';
import type { DriverResource } from '../schemas/drivers';

export function toDriverResource(row: DriverRow): DriverResource {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    zone: row.zone,
    status: row.status,
    location:
      row.lat !== null && row.lng !== null && row.location_updated_at
        ? {
            lat: row.lat,
            lng: row.lng,
            speed_mps: row.speed_mps,
            heading: row.heading,
            battery_pct: row.battery_pct,
            updated_at: iso(row.location_updated_at),
          }
        : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
