/**
 * Values computed by the TAF engine (derived and daily lists, spec notes §6, §7.3), by
 * evaluation profile and target time (the end of the TAF period a value is for).
 */
import type { ReadingKind } from '@opensmgw/protocol';
import type { Statement } from 'better-sqlite3';
import {
  checkDecimal,
  checkId,
  checkInteger,
  checkLimit,
  checkObis,
  checkText,
  checkTimeMs,
} from './argument-checks.js';
import { badArgument } from './errors.js';
import { MAX_QUERY_LIMIT } from './readings.js';
import type { Db } from './schema.js';
import type { NewDerivedValue, StoredDerivedValue } from './types.js';

const KINDS: readonly ReadingKind[] = ['original', 'derived', 'daily'];
const UINT32_MAX = 0xffff_ffff;

interface DerivedRow {
  id: number;
  profile_id: string;
  meter_id: string;
  obis: string;
  kind: ReadingKind;
  value: string;
  scaler: number;
  unit: string;
  capture_ms: number;
  target_ms: number;
  smgw_status: number;
  meter_status: number | null;
}

function toDerived(r: DerivedRow): StoredDerivedValue {
  return {
    id: r.id,
    evaluationProfileId: r.profile_id,
    meterId: r.meter_id,
    obis: r.obis,
    kind: r.kind,
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    captureTimeMs: r.capture_ms,
    targetTimeMs: r.target_ms,
    smgwStatus: r.smgw_status,
    ...(r.meter_status === null ? {} : { meterStatus: r.meter_status }),
  };
}

export function checkDerived(v: NewDerivedValue, field: string): void {
  if (v === null || typeof v !== 'object') throw badArgument(`${field} is not an object`, { field });
  checkId(v.evaluationProfileId, `${field}.evaluationProfileId`);
  checkId(v.meterId, `${field}.meterId`);
  checkObis(v.obis, `${field}.obis`);
  if (!KINDS.includes(v.kind)) throw badArgument(`${field}.kind is not one of ${KINDS.join(', ')}`, { field });
  checkDecimal(v.value, `${field}.value`);
  checkInteger(v.scaler, `${field}.scaler`, -128, 127);
  checkText(v.unit, `${field}.unit`, 32);
  checkTimeMs(v.captureTimeMs, `${field}.captureTimeMs`);
  checkTimeMs(v.targetTimeMs, `${field}.targetTimeMs`);
  checkInteger(v.smgwStatus, `${field}.smgwStatus`, 0, UINT32_MAX);
  if (v.meterStatus !== undefined) checkInteger(v.meterStatus, `${field}.meterStatus`, 0, UINT32_MAX);
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
