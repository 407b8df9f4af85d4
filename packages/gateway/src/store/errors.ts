import { SmgwError } from '@opensmgw/core';

/**
 * Errors of the gateway store. A store error never carries a stored value (it may be consumer
 * data or a key in a profile), only what identifies the row: table, key, index.
 *
 * - SMGW_STORE_BAD_ARGUMENT: the caller passed something the store refuses to write or to read
 *   with (a malformed reading, a count over 1500, a value that is no JSON); nothing was written.
 * - SMGW_STORE_CORRUPT: the file is not an SQLite database, or a row no longer passes validation
 *   (changed behind our back).
 * - SMGW_STORE_VERSION: the schema is newer than this code knows (a downgrade would lose data).
 * - SMGW_STORE_FOREIGN: an SQLite database that belongs to another application.
 * - SMGW_STORE_IO: the file cannot be opened, read or written (permissions, disk full).
 * - SMGW_STORE_BUSY: another process holds the lock longer than the busy timeout.
 * - SMGW_STORE_CONFLICT: a unique key already exists (a delivery's messageId).
 * - SMGW_STORE_NOT_FOUND: the row an update names does not exist.
 * - SMGW_STORE_CLOSED: the store was used after close().
 * - SMGW_STORE_INTERNAL: anything else thrown inside a store operation (a bug); the transaction
 *   it happened in was rolled back.
 */
export type StoreErrorCode =
  | 'SMGW_STORE_BAD_ARGUMENT'
  | 'SMGW_STORE_CORRUPT'
  | 'SMGW_STORE_VERSION'
  | 'SMGW_STORE_FOREIGN'
  | 'SMGW_STORE_IO'
  | 'SMGW_STORE_BUSY'
  | 'SMGW_STORE_CONFLICT'
  | 'SMGW_STORE_NOT_FOUND'
  | 'SMGW_STORE_CLOSED'
  | 'SMGW_STORE_INTERNAL';

export class StoreError extends SmgwError<StoreErrorCode> {}

export function badArgument(what: string, detail: Record<string, unknown> = {}): StoreError {
  return new StoreError('SMGW_STORE_BAD_ARGUMENT', what, { detail });
}

export function corrupt(what: string, detail: Record<string, unknown>, cause?: unknown): StoreError {
  return new StoreError('SMGW_STORE_CORRUPT', what, { detail, ...(cause === undefined ? {} : { cause }) });
}

/** SQLite result codes (better-sqlite3 `SqliteError.code`, extended codes start with these) to store codes. */
const SQLITE_CODES: readonly (readonly [prefix: string, code: StoreErrorCode])[] = [
  ['SQLITE_NOTADB', 'SMGW_STORE_CORRUPT'],
  ['SQLITE_CORRUPT', 'SMGW_STORE_CORRUPT'],
  ['SQLITE_BUSY', 'SMGW_STORE_BUSY'],
  ['SQLITE_LOCKED', 'SMGW_STORE_BUSY'],
  ['SQLITE_CANTOPEN', 'SMGW_STORE_IO'],
  ['SQLITE_IOERR', 'SMGW_STORE_IO'],
  ['SQLITE_FULL', 'SMGW_STORE_IO'],
  ['SQLITE_READONLY', 'SMGW_STORE_IO'],
  ['SQLITE_PERM', 'SMGW_STORE_IO'],
  ['SQLITE_CONSTRAINT', 'SMGW_STORE_BAD_ARGUMENT'],
  ['SQLITE_MISMATCH', 'SMGW_STORE_BAD_ARGUMENT'],
  ['SQLITE_TOOBIG', 'SMGW_STORE_BAD_ARGUMENT'],
  ['SQLITE_RANGE', 'SMGW_STORE_BAD_ARGUMENT'],
];

/**
 * Anything thrown inside the store, as a StoreError: store errors pass through, SQLite errors are
 * mapped by their result code, the driver's RangeError/TypeError for unbindable values become
 * SMGW_STORE_BAD_ARGUMENT, anything else SMGW_STORE_INTERNAL with the original as `cause`, so
 * callers handle one class.
 */
export function toStoreError(e: unknown, operation: string): StoreError {
  if (e instanceof StoreError) return e;
  const sqliteCode = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_')) {
    const mapped = SQLITE_CODES.find(([prefix]) => sqliteCode.startsWith(prefix))?.[1] ?? 'SMGW_STORE_IO';
    return new StoreError(mapped, `${operation}: ${message}`, { cause: e, detail: { operation, sqliteCode } });
  }
  if (e instanceof RangeError || e instanceof TypeError) {
    // better-sqlite3 throws these for values it cannot bind (e.g. a number too large for INTEGER).
    return new StoreError('SMGW_STORE_BAD_ARGUMENT', `${operation}: ${message}`, { cause: e, detail: { operation } });
  }
  return new StoreError('SMGW_STORE_INTERNAL', `${operation}: ${message}`, { cause: e, detail: { operation } });
}
