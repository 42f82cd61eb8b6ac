/** Resource ids: a short type prefix and a ULID, so ids sort by creation time and say what they are. */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';

export type IdPrefix = 'stop' | 'drv' | 'evt' | 'imp' | 'whsub' | 'dlv' | 'ten' | 'key' | 'upd';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The same parts always give the same id (a retried step can never create a second record). */
export function deterministicId(prefix: IdPrefix, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let i = 0; i < 26; i++) out += CROCKFORD[digest[i]! % 32];
  return `${prefix}_${out}`;
}
