/**
 * Geocoding as a stop is written. The offline gazetteer answers in microseconds, so a stop is
 * stored (and its `stop.created` event sent) already located, and its workflow has nothing to
 * do for it. An HTTP geocoder is a network call: the write leaves the stop unlocated and the
 * stop's workflow asks the geocoder in a durable activity, never inside a workflow task.
 */
import type { GeocodedColumn } from '../db/schema';
import { geocodeOffline } from './offline';

export function geocodeAtWrite(geocoderUrl: string | undefined, address: string): GeocodedColumn | null {
  return geocoderUrl ? null : geocodeOffline(address);
}

/**
 * Loads the offline gazetteer now (about half a second): done at the first stop written
 * instead, it would hold up that process's event loop, and everyone's requests and deliveries.
 */
export function preloadGeocoder(geocoderUrl: string | undefined): void {
  if (!geocoderUrl) geocodeOffline('');
}
