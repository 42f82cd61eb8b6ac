/** Resource ids: a short type prefix and a ULID, so ids sort by creation time and say what they are. */
import { ulid } from 'ulid';

export type IdPrefix = 'stop' | 'drv' | 'evt' | 'imp' | 'whsub' | 'dlv' | 'ten' | 'key';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`);
}
