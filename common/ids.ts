/** Resource ids: a short type prefix and a ULID, so ids sort by creation time and say what they are. */
import { createHash, randomFillSync } from 'node:crypto';
import { ulid as makeUlid } from 'ulid';

export type IdPrefix = 'stop' | 'drv' | 'rte' | 'rcv' | 'evt' | 'imp' | 'whsub' | 'dlv' | 'ten' | 'key' | 'upd' | 'req';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The `ulid` package draws a random byte from the system for each character (16 per id), over
 * 1 % of the API's time under load; this source serves them from a block drawn at once.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function pooledRandom(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

export const ulid = (now?: number): string => makeUlid(now, pooledRandom);

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`);
}

/** The same parts always give the same id (a retried step can never create a second record). */
export function deterministicId(prefix: IdPrefix, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let i = 0; i < 26; i++) out += CROCKFORD[digest[i]! % 32];
  return `${prefix}_${out}`;
}

/** The same parts always give the same UUID-shaped id (version 4 and variant bits set). */
export function deterministicUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
