/**
 * The three logs of spec notes §10 (system, consumer, calibration) in one table keyed by log,
 * each an append-only hash chain (log-chain.ts). Nothing here updates or deletes an entry.
 */
import { ID_PATTERN, LOG_NAMES, type LogEntry, type LogName, parseLogEntry } from '@opensmgw/protocol';
import type { Statement } from 'better-sqlite3';
import { checkInteger, checkText, checkTimeMs } from './argument-checks.js';
import { badArgument, corrupt } from './errors.js';
import { GENESIS_HASH, logEntryHash, type UnhashedLogEntry, unhashedLogEntry } from './log-chain.js';
import type { Db } from './schema.js';
import type { LogHead, LogVerifyResult, NewLogEntry } from './types.js';

/** The most entries one readLog call returns (the GWA pages through larger logs). */
export const MAX_LOG_READ = 1500;
const EVENT = /^[A-Z][A-Z0-9_]{1,63}$/;

interface LogRow {
  log: string;
  idx: number;
  time: string;
  level: number;
  outcome: number;
  event: string;
  message: string;
  subject: string | null;
  user: string | null;
  prev_hash: string;
  hash: string;
}

/** The row as the unhashed entry it claims to be: no validation, so verify() hashes exactly what is stored. */
function unhashed(r: LogRow): UnhashedLogEntry {
  return {
    log: r.log,
    index: r.idx,
    time: r.time,
    level: r.level,
    outcome: r.outcome,
    event: r.event,
    message: r.message,
    ...(r.subject === null ? {} : { subject: r.subject }),
    ...(r.user === null ? {} : { user: r.user }),
    prevHash: r.prev_hash,
  } as UnhashedLogEntry;
}

export function checkLogName(log: unknown): LogName {
  if (!LOG_NAMES.includes(log as LogName)) throw badArgument(`log is not one of ${LOG_NAMES.join(', ')}`);
  return log as LogName;
}

function checkEntry(log: LogName, e: NewLogEntry, field: string): void {
  if (e === null || typeof e !== 'object') throw badArgument(`${field} is not an object`, { field });
  checkInteger(e.level, `${field}.level`, 1, 4);
  checkInteger(e.outcome, `${field}.outcome`, 0, 2);
  if (typeof e.event !== 'string' || !EVENT.test(e.event))
    throw badArgument(`${field}.event is not UPPER_SNAKE`, { field });
  checkText(e.message, `${field}.message`, 2048);
  if (e.subject !== undefined) checkText(e.subject, `${field}.subject`, 256);
  if (e.user !== undefined) {
    if (typeof e.user !== 'string' || !ID_PATTERN.test(e.user)) throw badArgument(`${field}.user is not an identifier`);
    // Spec notes §10: the system log must not contain consumer-related personal data.
    if (log === 'system') throw badArgument(`${field}.user is not allowed in the system log`, { field });
  }
}

export class LogBook {
  readonly #head: Statement<[string], { idx: number; hash: string }>;
  readonly #insert: Statement<unknown[]>;
  readonly #read: Statement<[string, number, number], LogRow>;
  readonly #readUser: Statement<[string, string, number, number], LogRow>;
  readonly #walk: Statement<[string], LogRow>;

  constructor(db: Db) {
    this.#head = db.prepare('SELECT idx, hash FROM log_entry WHERE log = ? ORDER BY idx DESC LIMIT 1');
    this.#insert = db.prepare(
      `INSERT INTO log_entry (log, idx, time, level, outcome, event, message, subject, user, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#read = db.prepare('SELECT * FROM log_entry WHERE log = ? AND idx >= ? ORDER BY idx ASC LIMIT ?');
    this.#readUser = db.prepare(
      'SELECT * FROM log_entry WHERE log = ? AND user = ? AND idx >= ? ORDER BY idx ASC LIMIT ?',
    );
    this.#walk = db.prepare('SELECT * FROM log_entry WHERE log = ? ORDER BY idx ASC');
  }

  /** Appends to the chain. The caller runs it inside a write transaction (head read + insert are one step). */
  append(log: LogName, entry: NewLogEntry, timeMs: number): LogEntry {
    checkLogName(log);
    checkEntry(log, entry, 'entry');
    checkTimeMs(timeMs, 'timeMs');
    const head = this.#head.get(log);
    const unhashedEntry = unhashedLogEntry(
      log,
      head === undefined ? 1 : head.idx + 1,
      timeMs,
      entry,
      head === undefined ? GENESIS_HASH : head.hash,
    );
    const hash = logEntryHash(unhashedEntry);
    this.#insert.run(
      log,
      unhashedEntry.index,
      unhashedEntry.time,
      unhashedEntry.level,
      unhashedEntry.outcome,
      unhashedEntry.event,
      unhashedEntry.message,
      unhashedEntry.subject ?? null,
      unhashedEntry.user ?? null,
      unhashedEntry.prevHash,
      hash,
    );
    return { ...unhashedEntry, hash };
  }

  /** Entries with index ≥ fromIndex, ascending, at most `count` (≤ 1500); only `user`'s when given. */
  read(log: LogName, fromIndex: number, count: number, user?: string): LogEntry[] {
    checkLogName(log);
    checkInteger(fromIndex, 'fromIndex', 0, Number.MAX_SAFE_INTEGER);
    checkInteger(count, 'count', 0, MAX_LOG_READ);
    const rows =
      user === undefined
        ? this.#read.all(log, fromIndex, count)
        : this.#readUser.all(log, checkText(user, 'user', 64), fromIndex, count);
    return rows.map((r) => {
      try {
        return parseLogEntry({ ...unhashed(r), hash: r.hash });
      } catch (e) {
        throw corrupt(`${log} log entry ${r.idx} no longer validates`, { log, index: r.idx }, e);
      }
    });
  }

  head(log: LogName): LogHead | undefined {
    checkLogName(log);
    const h = this.#head.get(log);
    return h === undefined ? undefined : { index: h.idx, hash: h.hash };
  }

  /** Walks the chain from index 1 and reports the first entry that is missing, out of place or altered. */
  verify(log: LogName): LogVerifyResult {
    checkLogName(log);
    let expected = 1;
    let prev = GENESIS_HASH;
    for (const row of this.#walk.iterate(log)) {
      const broken = (reason: string): LogVerifyResult => ({
        ok: false,
        log,
        entries: expected - 1,
        brokenAt: expected,
        reason,
      });
      if (row.idx !== expected) return broken(`entry ${expected} is missing`);
      if (row.prev_hash !== prev) return broken('prevHash is not the previous entry’s hash');
      if (logEntryHash(unhashed(row)) !== row.hash) return broken('hash does not match the entry’s content');
      prev = row.hash;
      expected++;
    }
    return { ok: true, log, entries: expected - 1, head: prev };
  }
}
