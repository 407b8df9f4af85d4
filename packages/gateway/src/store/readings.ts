/**
 * The original value list (spec notes §7.3): every reading a meter delivered, in arrival order.
 * Statements are prepared once: insert() runs for every reading of every telegram.
 */
import type { Statement } from 'better-sqlite3';
import { checkId, checkInteger, checkLimit, checkObis } from './argument-checks.js';
import { badArgument } from './errors.js';
import { checkMeterValue, type MeterValueRow, meterValueOfRow } from './meter-value.js';
import type { Db } from './schema.js';
import type { NewReading, ReadingSecurity, StoredReading } from './types.js';

/** Largest `limit` a single query may ask for (the HAN pages, the TAF engine walks periods). */
export const MAX_QUERY_LIMIT = 100_000;
const SECURITY: readonly ReadingSecurity[] = ['mode7', 'mode5', 'tls'];

interface ReadingRow extends MeterValueRow {
  id: number;
  security: ReadingSecurity;
}

const COLUMNS = 'id, meter_id, obis, value, scaler, unit, capture_ms, smgw_status, meter_status, security';

function toReading(r: ReadingRow): StoredReading {
  return { id: r.id, ...meterValueOfRow(r), security: r.security };
}

/** Refuses a reading that would not read back as it was given (see argument-checks.ts). */
export function checkReading(r: NewReading, field: string): void {
  if (r === null || typeof r !== 'object') throw badArgument(`${field} is not an object`, { field });
  checkMeterValue(r, field);
  if (!SECURITY.includes(r.security)) throw badArgument(`${field}.security is not one of ${SECURITY.join(', ')}`);
}

/** The read queries, exported so a test can check their plans use the indexes (EXPLAIN QUERY PLAN). */
export const READING_QUERIES = {
  // Ties on capture time: the later arrival (higher id) wins.
  lastAtOrBefore: `SELECT ${COLUMNS} FROM reading
    WHERE meter_id = ? AND obis = ? AND capture_ms <= ? AND capture_ms > ?
    ORDER BY capture_ms DESC, id DESC LIMIT 1`,
  between: `SELECT ${COLUMNS} FROM reading
    WHERE meter_id = ? AND obis = ? AND capture_ms > ? AND capture_ms <= ?
    ORDER BY capture_ms ASC, id ASC LIMIT ?`,
  after: `SELECT ${COLUMNS} FROM reading WHERE meter_id = ? AND id > ? ORDER BY id ASC LIMIT ?`,
} as const;

export class ReadingTable {
  readonly #insert: Statement<unknown[]>;
  readonly #lastAtOrBefore: Statement<unknown[], ReadingRow>;
  readonly #between: Statement<unknown[], ReadingRow>;
  readonly #after: Statement<unknown[], ReadingRow>;
  readonly #count: Statement<[], { n: number }>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO reading (meter_id, obis, value, scaler, unit, capture_ms, smgw_status, meter_status, security)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#lastAtOrBefore = db.prepare(READING_QUERIES.lastAtOrBefore);
    this.#between = db.prepare(READING_QUERIES.between);
    this.#after = db.prepare(READING_QUERIES.after);
    this.#count = db.prepare('SELECT count(*) AS n FROM reading');
  }

  /** Inserts a reading already checked with checkReading(). Runs inside the caller's transaction. */
  insert(r: NewReading): void {
    this.#insert.run(
      r.meterId,
      r.obis,
      r.value,
      r.scaler,
      r.unit,
      r.captureTimeMs,
      r.smgwStatus,
      r.meterStatus ?? null,
      r.security,
    );
  }

  lastAtOrBefore(meterId: string, obis: string, atMs: number, notBeforeMs?: number): StoredReading | undefined {
    checkId(meterId, 'meterId');
    checkObis(obis, 'obis');
    checkInteger(atMs, 'atMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const floor =
      notBeforeMs === undefined
        ? Number.MIN_SAFE_INTEGER
        : checkInteger(notBeforeMs, 'notBeforeMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const row = this.#lastAtOrBefore.get(meterId, obis, atMs, floor);
    return row === undefined ? undefined : toReading(row);
  }

  between(meterId: string, obis: string, fromMs: number, toMs: number, limit: number): StoredReading[] {
    checkId(meterId, 'meterId');
    checkObis(obis, 'obis');
    checkInteger(fromMs, 'fromMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    checkInteger(toMs, 'toMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    checkLimit(limit, 'limit', MAX_QUERY_LIMIT);
    return this.#between.all(meterId, obis, fromMs, toMs, limit).map(toReading);
  }

  after(meterId: string, afterId: number, limit: number): StoredReading[] {
    checkId(meterId, 'meterId');
    checkInteger(afterId, 'afterId', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    checkLimit(limit, 'limit', MAX_QUERY_LIMIT);
    return this.#after.all(meterId, afterId, limit).map(toReading);
  }

  count(): number {
    return (this.#count.get() as { n: number }).n;
  }
}
