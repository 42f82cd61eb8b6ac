/** Straight-line ETA from a driver's position to a stop. Pure. */
const EARTH_RADIUS_M = 6_371_000;
/** Below this a driver is standing still; assume urban driving speed instead (30 km/h). */
const MIN_MOVING_SPEED_MPS = 1;
const DEFAULT_SPEED_MPS = 30 / 3.6;
/** Roads are longer than the straight line; a common rule-of-thumb detour factor. */
const DETOUR_FACTOR = 1.3;

export interface Point {
  lat: number;
  lng: number;
}

export function haversineMeters(a: Point, b: Point): number {
  const rad = (d: number): number => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function etaMinutes(from: Point, to: Point, speedMps: number | null): number {
  const speed = speedMps !== null && speedMps >= MIN_MOVING_SPEED_MPS ? speedMps : DEFAULT_SPEED_MPS;
  return Math.ceil((haversineMeters(from, to) * DETOUR_FACTOR) / speed / 60);
}
