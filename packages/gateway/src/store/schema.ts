/**
 * Opening the store's SQLite file: pragmas, ownership check and versioned migrations.
 *
 * The schema version lives in `PRAGMA user_version`; each migration moves it up by one inside a
 * transaction, so a crash during an upgrade leaves the old version intact. A file with a newer
 * version is refused (SMGW_STORE_VERSION): this code would not know what its columns mean.
 * `PRAGMA application_id` marks the file as ours, so pointing the gateway at some other
 * application's database fails instead of adding tables to it.
 */
import Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors.js';

export type Db = Database.Database;

/** "SMGW" in ASCII: PRAGMA application_id of an OpenSMGW gateway store. */
export const APPLICATION_ID = 0x534d4757;

/** Migrations in order; index i moves the schema from version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `
  -- Original value list (spec notes §7.3). Values are decimal integer text: they may exceed 2^53.
  -- AUTOINCREMENT: ids are never reused, so a HAN reader's "after id" cursor never skips a row.
  CREATE TABLE reading (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    meter_id      TEXT    NOT NULL,
    obis          TEXT    NOT NULL,
    value         TEXT    NOT NULL CHECK (typeof(value) = 'text'),
    scaler        INTEGER NOT NULL CHECK (typeof(scaler) = 'integer'),
    unit          TEXT    NOT NULL,
    capture_ms    INTEGER NOT NULL CHECK (typeof(capture_ms) = 'integer'),
    smgw_status   INTEGER NOT NULL CHECK (typeof(smgw_status) = 'integer'),
    meter_status  INTEGER CHECK (meter_status IS NULL OR typeof(meter_status) = 'integer'),
    security      TEXT    NOT NULL CHECK (security IN ('mode7', 'mode5', 'tls'))
  );
  -- lastAtOrBefore / between are range scans on this index.
  CREATE INDEX reading_channel_time ON reading (meter_id, obis, capture_ms);
  -- readingsAfter(meter, afterId).
  CREATE INDEX reading_meter_id ON reading (meter_id, id);

  -- Replay protection (spec notes §8.2): the last accepted message counter per meter.
  CREATE TABLE meter_counter (
    meter_id TEXT PRIMARY KEY,
    counter  INTEGER NOT NULL CHECK (typeof(counter) = 'integer')
  ) WITHOUT ROWID;

  -- Profiles (spec notes §7.1) as validated JSON; re-validated on every read.
  CREATE TABLE meter_profile (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE communication_profile (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE evaluation_profile (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;

  -- TAF results (spec notes §6, §7.3).
  CREATE TABLE derived (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id    TEXT    NOT NULL,
    meter_id      TEXT    NOT NULL,
    obis          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('original', 'derived', 'daily')),
    value         TEXT    NOT NULL CHECK (typeof(value) = 'text'),
    scaler        INTEGER NOT NULL,
    unit          TEXT    NOT NULL,
    capture_ms    INTEGER NOT NULL,
    target_ms     INTEGER NOT NULL,
    smgw_status   INTEGER NOT NULL,
    meter_status  INTEGER
  );
  CREATE INDEX derived_profile_target ON derived (profile_id, target_ms);
  CREATE INDEX derived_kind_target ON derived (kind, target_ms);

  CREATE TABLE taf_progress (
    profile_id          TEXT PRIMARY KEY,
    processed_until_ms  INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Store-and-forward queue (spec notes §5.3). AUTOINCREMENT: a delivered (deleted) seq is never
  -- handed out again, so "strict order per recipient" holds across restarts.
  CREATE TABLE delivery (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id       TEXT    NOT NULL UNIQUE,
    recipient_id     TEXT    NOT NULL,
    profile_id       TEXT    NOT NULL,
    payload          BLOB    NOT NULL,
    created_ms       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    last_error       TEXT
  );
  CREATE INDEX delivery_recipient_seq ON delivery (recipient_id, seq);

  -- The three logs (spec notes §10), one table keyed by log, hash-chained per log (log-chain.ts).
  CREATE TABLE log_entry (
    log        TEXT    NOT NULL CHECK (log IN ('system', 'consumer', 'calibration')),
    idx        INTEGER NOT NULL,
    time       TEXT    NOT NULL,
    level      INTEGER NOT NULL,
    outcome    INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    subject    TEXT,
    user       TEXT,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    PRIMARY KEY (log, idx)
  ) WITHOUT ROWID;
  CREATE INDEX log_entry_user ON log_entry (log, user, idx) WHERE user IS NOT NULL;

  -- Small persistent state: JSON values by key.
  CREATE TABLE state (key TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenOptions {
  /**
   * 'full' (default): every commit is fsynced before accept() returns, so a power loss never
   * loses a telegram that was acknowledged as stored. 'normal' trades that for speed (WAL
   * commits survive a process crash but may be lost on power loss).
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long a writer waits for another connection's lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/** Opens (creating if needed) and migrates the database file; every failure is a StoreError. */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (typeof path !== 'string' || path.length === 0) {
    throw new StoreError('SMGW_STORE_BAD_ARGUMENT', 'store path must be a non-empty string');
  }
  let db: Db | undefined;
  try {
    try {
      db = new Database(path);
    } catch (e) {
      // better-sqlite3 reports a missing directory as a TypeError: it is still an I/O problem.
      throw new StoreError('SMGW_STORE_IO', `cannot open ${path}: ${(e as Error).message}`, {
        cause: e,
        detail: { path },
      });
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    // The first read of the header: a file that is no SQLite database fails here (SQLITE_NOTADB).
    const version = db.pragma('user_version', { simple: true }) as number;
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    checkOwnership(db, path, version, applicationId);
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'SMGW_STORE_VERSION',
        `store schema ${version} is newer than this gateway's (${SCHEMA_VERSION})`,
        {
          detail: { path, version, supported: SCHEMA_VERSION },
        },
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    throw toStoreError(e, `open ${path}`);
  }
}

function checkOwnership(db: Db, path: string, version: number, applicationId: number): void {
  if (applicationId === APPLICATION_ID) return;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
  if (applicationId !== 0 || version !== 0 || tables.n > 0) {
    throw new StoreError('SMGW_STORE_FOREIGN', 'the file is an SQLite database of another application', {
      detail: { path, applicationId },
    });
  }
}

/**
 * Applies missing migrations, one transaction each. The version is re-read inside the (write-
 * locked) transaction, so two processes opening a fresh file at once do not both migrate it.
 */
function migrate(db: Db): void {
  const step = db.transaction((): boolean => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v >= SCHEMA_VERSION) return true;
    db.exec(MIGRATIONS[v] as string);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${v + 1}`);
    return false;
  });
  while (!step.immediate()) {
    // next migration
  }
}
