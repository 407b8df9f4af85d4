/**
 * Values computed by the TAF engine (derived and daily lists, spec notes §6, §7.3), by
 * evaluation profile and target time (the end of the TAF period a value is for).
 */
import type { ReadingKind } from '@opensmgw/protocol';
import type { Statement } from 'better-sqlite3';
import { checkId, checkInteger, checkLimit, checkTimeMs } from './argument-checks.js';
import { badArgument } from './errors.js';
import { checkMeterValue, type MeterValueRow, meterValueOfRow } from './meter-value.js';
import { MAX_QUERY_LIMIT } from './readings.js';
import type { Db } from './schema.js';
import type { NewDerivedValue, StoredDerivedValue } from './types.js';

const KINDS: readonly ReadingKind[] = ['original', 'derived', 'daily'];

interface DerivedRow extends MeterValueRow {
  id: number;
  profile_id: string;
  kind: ReadingKind;
  target_ms: number;
}

function toDerived(r: DerivedRow): StoredDerivedValue {
  return {
    id: r.id,
    evaluationProfileId: r.profile_id,
    kind: r.kind,
    targetTimeMs: r.target_ms,
    ...meterValueOfRow(r),
  };
}

export function checkDerived(v: NewDerivedValue, field: string): void {
  if (v === null || typeof v !== 'object') throw badArgument(`${field} is not an object`, { field });
  checkId(v.evaluationProfileId, `${field}.evaluationProfileId`);
  if (!KINDS.includes(v.kind)) throw badArgument(`${field}.kind is not one of ${KINDS.join(', ')}`, { field });
  checkMeterValue(v, field);
  checkTimeMs(v.targetTimeMs, `${field}.targetTimeMs`);
}

export class DerivedTable {
  readonly #insert: Statement<unknown[]>;
  readonly #range: Statement<unknown[], DerivedRow>;
  readonly #prune: Statement<[string, number]>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO derived (profile_id, meter_id, obis, kind, value, scaler, unit, capture_ms, target_ms, smgw_status, meter_status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#range = db.prepare(
      `SELECT * FROM derived WHERE profile_id = ? AND target_ms > ? AND target_ms <= ?
       ORDER BY target_ms ASC, id ASC LIMIT ?`,
    );
    this.#prune = db.prepare('DELETE FROM derived WHERE kind = ? AND target_ms < ?');
  }

  /** Inserts a value already checked with checkDerived(). Runs inside the caller's transaction. */
  insert(v: NewDerivedValue): void {
    this.#insert.run(
      v.evaluationProfileId,
      v.meterId,
      v.obis,
      v.kind,
      v.value,
      v.scaler,
      v.unit,
      v.captureTimeMs,
      v.targetTimeMs,
      v.smgwStatus,
      v.meterStatus ?? null,
    );
  }

  /** Values of a profile with fromMs < target time ≤ toMs, ascending (the ReadingSource convention). */
  range(evaluationProfileId: string, fromMs: number, toMs: number, limit: number): StoredDerivedValue[] {
    checkId(evaluationProfileId, 'evaluationProfileId');
    checkInteger(fromMs, 'fromMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    checkInteger(toMs, 'toMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    checkLimit(limit, 'limit', MAX_QUERY_LIMIT);
    return this.#range.all(evaluationProfileId, fromMs, toMs, limit).map(toDerived);
  }

  prune(kind: ReadingKind, beforeMs: number): number {
    if (!KINDS.includes(kind)) throw badArgument(`kind is not one of ${KINDS.join(', ')}`);
    checkInteger(beforeMs, 'beforeMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    return this.#prune.run(kind, beforeMs).changes;
  }
}
