/**
 * The hash chain of the gateway's logs (spec notes §10), written down so that anyone holding the
 * entries (the GWA, an auditor, a consumer with TRuDI-like tooling) can recompute it:
 *
 *   canonical(e) = JSON.stringify of an object with exactly these keys in this order, no
 *                  whitespace, optional keys omitted when absent:
 *                    log, index, time, level, outcome, event, message, [subject], [user], prevHash
 *   hash(e)      = lower-case hex SHA-256 over the UTF-8 bytes of  e.prevHash + canonical(e)
 *                  (prevHash as its 64 hex characters, then the JSON text)
 *   prevHash     = the previous entry's hash in the same log; GENESIS_HASH (64 zeros) for index 1.
 *
 * Indexes run from 1 without gaps per log, so a deleted or reordered entry breaks the chain.
 * A chain cannot reveal that its newest entries were cut off: whoever must detect that (the GWA)
 * remembers the head {index, hash} it last saw and compares (GatewayStore.logHead).
 */
import { createHash } from 'node:crypto';
import type { LogEntry, LogName } from '@opensmgw/protocol';
import type { NewLogEntry } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

export type UnhashedLogEntry = Omit<LogEntry, 'hash'>;

/** `entry` as the chain records it before its hash: in `log` at `index`, written at `timeMs`, after `prevHash`. */
export function unhashedLogEntry(
  log: LogName,
  index: number,
  timeMs: number,
  entry: NewLogEntry,
  prevHash: string,
): UnhashedLogEntry {
  return {
    log,
    index,
    time: new Date(timeMs).toISOString(),
    level: entry.level,
    outcome: entry.outcome,
    event: entry.event,
    message: entry.message,
    ...(entry.subject === undefined ? {} : { subject: entry.subject }),
    ...(entry.user === undefined ? {} : { user: entry.user }),
    prevHash,
  };
}

/** The canonical JSON text of an entry without its hash (field order fixed, see above). */
export function canonicalLogEntry(e: UnhashedLogEntry): string {
  return JSON.stringify({
    log: e.log,
    index: e.index,
    time: e.time,
    level: e.level,
    outcome: e.outcome,
    event: e.event,
    message: e.message,
    ...(e.subject === undefined ? {} : { subject: e.subject }),
    ...(e.user === undefined ? {} : { user: e.user }),
    prevHash: e.prevHash,
  });
}

/** SHA-256 hex of prevHash + canonical JSON. */
export function logEntryHash(e: UnhashedLogEntry): string {
  return createHash('sha256').update(e.prevHash, 'utf8').update(canonicalLogEntry(e), 'utf8').digest('hex');
}
