/**
 * The EMT store on SQLite (better-sqlite3, WAL): the embedded default, `<dataDir>/emt.db`.
 * WAL lets `smgw headend emt readings` read (read-only connection) while the server writes.
 * better-sqlite3 is synchronous, so a message's transaction never interleaves with another's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadingsMessage } from '@opensmgw/protocol';
import Database from 'better-sqlite3';
import { EmtError } from './emt-errors.js';
import type {
  EmtStore,
  MessageFilter,
  MessageMeta,
  ReadingFilter,
  StoredEmtMessage,
  StoredEmtReading,
  StoreResult,
} from './emt-store.js';
import {
  hasMessageSql,
  insertMessageSql,
  type MessageRow,
  messageFromRow,
  messageRowValues,
  messagesQuery,
  READING_INSERT_COLUMNS,
  type ReadingRow,
  readingFromRow,
  readingOwnValues,
  readingsQuery,
  setReadingsStoredSql,
} from './store-rows.js';

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
    const insertMessage = db.prepare(insertMessageSql('messages'));
    const insertReading = db.prepare(
      `INSERT INTO readings (${READING_INSERT_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const setStored = db.prepare(setReadingsStoredSql('messages'));
    const run = db.transaction((): StoreResult => {
      const m = insertMessage.run(...messageRowValues(msg, meta));
      if (m.changes === 0) return { outcome: 'duplicate', readingsStored: 0 };
      let stored = 0;
      for (const r of msg.readings) {
        stored += insertReading.run(
          msg.gatewayId,
          msg.evaluationProfileId,
          ...readingOwnValues(r),
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
    return this.#query(hasMessageSql('messages'), [gatewayId, messageId]).length > 0;
  }

  async readings(filter: ReadingFilter): Promise<StoredEmtReading[]> {
    const { sql, params } = readingsQuery('readings', filter);
    return this.#query<ReadingRow>(sql, params).map(readingFromRow);
  }

  async messages(filter: MessageFilter): Promise<StoredEmtMessage[]> {
    const { sql, params } = messagesQuery('messages', filter);
    return this.#query<MessageRow>(sql, params).map(messageFromRow);
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
