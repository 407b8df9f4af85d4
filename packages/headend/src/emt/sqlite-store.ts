/**
 * The EMT store on SQLite (better-sqlite3, WAL): the embedded default, `<dataDir>/emt.db`.
 * WAL lets `smgw headend emt readings` read (read-only connection) while the server writes.
 * better-sqlite3 is synchronous, so a message's transaction never interleaves with another's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadingsMessage, TafNumber } from '@opensmgw/protocol';
import Database from 'better-sqlite3';
import { EmtError } from './emt-errors.js';
import {
  checkLimit,
  type EmtStore,
  isoMs,
  type MessageFilter,
  type MessageMeta,
  type ReadingFilter,
  type StoredEmtMessage,
  type StoredEmtReading,
  type StoreResult,
} from './emt-store.js';

export const SQLITE_FILE = 'emt.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  gateway_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  evaluation_profile_id TEXT NOT NULL,
  taf INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  usage_point_id TEXT,
  tariff_name TEXT,
  reading_count INTEGER NOT NULL,
  readings_stored INTEGER NOT NULL,
  sender_cert_sha256 TEXT NOT NULL,
  container_sha256 TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, message_id)
);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_ms);
CREATE TABLE IF NOT EXISTS readings (
  id INTEGER PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  evaluation_profile_id TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  obis TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  scaler INTEGER NOT NULL,
  unit TEXT NOT NULL,
  capture_ms INTEGER NOT NULL,
  target_ms INTEGER,
  smgw_status TEXT NOT NULL,
  meter_status TEXT,
  message_id TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  UNIQUE (gateway_id, evaluation_profile_id, meter_id, obis, kind, capture_ms)
);
CREATE INDEX IF NOT EXISTS readings_capture ON readings (capture_ms);
CREATE INDEX IF NOT EXISTS readings_meter ON readings (meter_id, capture_ms);
`;

interface ReadingRow {
  gateway_id: string;
  evaluation_profile_id: string;
  meter_id: string;
  obis: string;
  kind: StoredEmtReading['kind'];
  value: string;
  scaler: number;
  unit: string;
  capture_ms: number;
  target_ms: number | null;
  smgw_status: string;
  meter_status: string | null;
  message_id: string;
  received_ms: number;
}

interface MessageRow {
  gateway_id: string;
  message_id: string;
  evaluation_profile_id: string;
  taf: number;
  created_ms: number;
  usage_point_id: string | null;
  tariff_name: string | null;
  reading_count: number;
  readings_stored: number;
  sender_cert_sha256: string;
  container_sha256: string;
  received_ms: number;
}

export function readingFromRow(r: ReadingRow): StoredEmtReading {
  return {
    gatewayId: r.gateway_id,
    evaluationProfileId: r.evaluation_profile_id,
    meterId: r.meter_id,
    obis: r.obis,
    kind: r.kind,
    value: r.value,
    scaler: Number(r.scaler),
    unit: r.unit,
    captureTimeMs: Number(r.capture_ms),
    ...(r.target_ms === null ? {} : { targetTimeMs: Number(r.target_ms) }),
    smgwStatus: r.smgw_status,
    ...(r.meter_status === null ? {} : { meterStatus: r.meter_status }),
    messageId: r.message_id,
    receivedMs: Number(r.received_ms),
  };
}

export function messageFromRow(r: MessageRow): StoredEmtMessage {
  return {
    gatewayId: r.gateway_id,
    messageId: r.message_id,
    evaluationProfileId: r.evaluation_profile_id,
    taf: Number(r.taf) as TafNumber,
    createdMs: Number(r.created_ms),
    ...(r.usage_point_id === null ? {} : { usagePointId: r.usage_point_id }),
    ...(r.tariff_name === null ? {} : { tariffName: r.tariff_name }),
    readingCount: Number(r.reading_count),
    readingsStored: Number(r.readings_stored),
    senderCertSha256: r.sender_cert_sha256,
    containerSha256: r.container_sha256,
    receivedMs: Number(r.received_ms),
  };
}

/** WHERE clause of a reading query with '?' placeholders (shared shape with the PostgreSQL one). */
export function readingConditions(f: ReadingFilter): { where: string[]; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.gatewayId !== undefined) {
    where.push('gateway_id = ?');
    params.push(f.gatewayId);
  }
  if (f.meterId !== undefined) {
    where.push('meter_id = ?');
    params.push(f.meterId);
  }
  if (f.fromMs !== undefined) {
    where.push('capture_ms >= ?');
    params.push(f.fromMs);
  }
  if (f.toMs !== undefined) {
    where.push('capture_ms <= ?');
    params.push(f.toMs);
  }
  return { where, params };
}

export function messageConditions(f: MessageFilter): { where: string[]; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.gatewayId !== undefined) {
    where.push('gateway_id = ?');
    params.push(f.gatewayId);
  }
  if (f.fromMs !== undefined) {
    where.push('received_ms >= ?');
    params.push(f.fromMs);
  }
  if (f.toMs !== undefined) {
    where.push('received_ms <= ?');
    params.push(f.toMs);
  }
  return { where, params };
}

const whereText = (where: string[]): string => (where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`);

export interface SqliteEmtStoreOptions {
  /** Open an existing database read-only (the CLI beside a running server). */
  readonly readonly?: boolean;
}

export class SqliteEmtStore implements EmtStore {
  readonly #db: Database.Database;
  readonly #readonly: boolean;

  private constructor(db: Database.Database, readonly: boolean) {
    this.#db = db;
    this.#readonly = readonly;
  }

  /** Opens (creating unless read-only) `<dataDir>/emt.db`. */
  static open(dataDir: string, options: SqliteEmtStoreOptions = {}): SqliteEmtStore {
    const readonly = options.readonly ?? false;
    const path = join(dataDir, SQLITE_FILE);
    let db: Database.Database;
    try {
      if (!readonly) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
    } catch (e) {
      throw new EmtError('SMGW_EMT_STORE', `cannot open the EMT database ${path}: ${(e as Error).message}`, {
        cause: e,
        detail: { path },
      });
    }
    try {
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.exec(SCHEMA);
      }
      db.pragma('busy_timeout = 5000');
    } catch (e) {
      db.close();
      throw new EmtError('SMGW_EMT_STORE', `cannot prepare the EMT database ${path}: ${(e as Error).message}`, {
        cause: e,
        detail: { path },
      });
    }
    return new SqliteEmtStore(db, readonly);
  }

  async storeMessage(msg: ReadingsMessage, meta: MessageMeta): Promise<StoreResult> {
    if (this.#readonly) throw new EmtError('SMGW_EMT_STORE', 'the EMT database is open read-only');
    const db = this.#db;
    const insertMessage = db.prepare(
      `INSERT INTO messages (gateway_id, message_id, evaluation_profile_id, taf, created_ms, usage_point_id,
         tariff_name, reading_count, readings_stored, sender_cert_sha256, container_sha256, received_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const insertReading = db.prepare(
      `INSERT INTO readings (gateway_id, evaluation_profile_id, meter_id, obis, kind, value, scaler, unit,
         capture_ms, target_ms, smgw_status, meter_status, message_id, received_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const setStored = db.prepare('UPDATE messages SET readings_stored = ? WHERE gateway_id = ? AND message_id = ?');
    const run = db.transaction((): StoreResult => {
      const m = insertMessage.run(
        msg.gatewayId,
        msg.messageId,
        msg.evaluationProfileId,
        msg.taf,
        isoMs(msg.created),
        msg.usagePointId ?? null,
        msg.tariffName ?? null,
        msg.readings.length,
        meta.senderCertSha256,
        meta.containerSha256,
        meta.receivedMs,
      );
      if (m.changes === 0) return { outcome: 'duplicate', readingsStored: 0 };
      let stored = 0;
      for (const r of msg.readings) {
        stored += insertReading.run(
          msg.gatewayId,
          msg.evaluationProfileId,
          r.meterId,
          r.obis,
          r.kind,
          r.value,
          r.scaler,
          r.unit,
          isoMs(r.captureTime),
          r.targetTime === undefined ? null : isoMs(r.targetTime),
          r.smgwStatus,
          r.meterStatus ?? null,
          msg.messageId,
          meta.receivedMs,
        ).changes;
      }
      setStored.run(stored, msg.gatewayId, msg.messageId);
      return { outcome: 'stored', readingsStored: stored };
    });
    try {
      return run.immediate();
    } catch (e) {
      throw new EmtError('SMGW_EMT_STORE', `storing message ${msg.messageId} failed: ${(e as Error).message}`, {
        cause: e,
        detail: { messageId: msg.messageId },
      });
    }
  }

  async hasMessage(gatewayId: string, messageId: string): Promise<boolean> {
    return (
      this.#query('SELECT 1 FROM messages WHERE gateway_id = ? AND message_id = ?', [gatewayId, messageId]).length > 0
    );
  }

  async readings(filter: ReadingFilter): Promise<StoredEmtReading[]> {
    const limit = checkLimit(filter.limit);
    const { where, params } = readingConditions(filter);
    const rows = this.#query<ReadingRow>(`SELECT * FROM readings ${whereText(where)} ORDER BY capture_ms, id LIMIT ?`, [
      ...params,
      limit,
    ]);
    return rows.map(readingFromRow);
  }

  async messages(filter: MessageFilter): Promise<StoredEmtMessage[]> {
    const limit = checkLimit(filter.limit);
    const { where, params } = messageConditions(filter);
    const rows = this.#query<MessageRow>(
      `SELECT * FROM messages ${whereText(where)} ORDER BY received_ms, gateway_id, message_id LIMIT ?`,
      [...params, limit],
    );
    return rows.map(messageFromRow);
  }

  /** A query whose failure (e.g. a file that is no EMT database) is SMGW_EMT_STORE. */
  #query<T>(sql: string, params: readonly (string | number)[]): T[] {
    try {
      return this.#db.prepare(sql).all(...params) as T[];
    } catch (e) {
      throw new EmtError('SMGW_EMT_STORE', `reading the EMT database failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
