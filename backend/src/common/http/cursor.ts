import { isUUID } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';

/**
 * Opaque keyset cursors. A cursor names the last row of the previous page; the query resumes
 * strictly after that row's (timestamp, id) read from the database, so timestamp precision
 * never skips or repeats rows.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(`v1:${id}`).toString('base64url');
}

/** Throws 400 validation_failed for anything that is not a cursor this API issued. */
export function decodeCursor(cursor: string, field = 'cursor', isId: (id: string) => boolean = (id) => isUUID(id)): string {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = raw.startsWith('v1:') ? raw.slice(3) : '';
  if (!isId(id)) throw new ValidationFailedError({ [field]: [`${field} is not a valid cursor`] });
  return id;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
