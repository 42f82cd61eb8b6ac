/**
 * A Nominatim-compatible HTTP geocoder (`GET {url}?q=…&format=jsonv2&limit=1`). Errors throw, so
 * the activity that calls it retries with backoff; "no match" is an answer, not an error.
 */
import type { GeocodedColumn } from '../db/schema';

interface NominatimPlace {
  lat: string;
  lon: string;
  place_rank?: number;
  display_name?: string;
}

/** Nominatim's place_rank: 26+ is a street or finer, 16+ a town or suburb. */
function confidenceOf(rank: number | undefined): GeocodedColumn['confidence'] {
  if (rank === undefined) return 'low';
  if (rank >= 26) return 'high';
  if (rank >= 16) return 'medium';
  return 'low';
}

export async function geocodeHttp(baseUrl: string, address: string, timeoutMs = 5_000): Promise<GeocodedColumn> {
  const url = new URL(baseUrl);
  url.searchParams.set('q', address);
  url.searchParams.set('format', 'jsonv2');
  url.searchParams.set('limit', '1');
  const res = await fetch(url, {
    headers: { accept: 'application/json', 'user-agent': 'dispatch-hub/0.1 (geocoding)' },
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  if (!res.ok) throw new Error(`geocoder answered ${res.status}`);
  const places = (await res.json()) as NominatimPlace[];
  const place = Array.isArray(places) ? places[0] : undefined;
  if (!place) return { lat: null, lng: null, confidence: 'none', source: 'http', warnings: ['the geocoder found no match'] };
  const lat = Number(place.lat);
  const lng = Number(place.lon);
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) throw new Error('geocoder returned a place without coordinates');
  const confidence = confidenceOf(place.place_rank);
  return {
    lat,
    lng,
    confidence,
    source: 'http',
    warnings: confidence === 'high' ? [] : ['the geocoder matched the area, not the exact address'],
  };
}
