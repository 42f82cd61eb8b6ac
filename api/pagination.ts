/**
 * Keyset pagination over ULID ids: rows are ordered by id, which never changes, so a page never
 * skips or repeats a row that existed when the walk began, however others write meanwhile.
 */
import { ApiError } from './errors';

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, prefix: string): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!new RegExp(`^${prefix}_[0-9A-Z]{26}$`).test(id)) {
    throw new ApiError(400, 'validation_error', 'cursor is not one this API returned', { field: 'cursor', value: cursor.slice(0, 100) });
  }
  return id;
}

export function page<T extends { id: string }>(rows: T[], limit: number): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  return { data, next_cursor: rows.length > limit ? encodeCursor(data[data.length - 1]!.id) : null };
}
