/**
 * One entry of the gateway's three logs as it travels to a reader (GWA, service technician,
 * consumer). Fields after the vendor JSON of spec notes §10; `hash` chains entries of one log:
 * hash = SHA-256(prevHash || canonical entry), see gateway/store.
 */
import { id } from './identifiers.js';
import { array, integer, isoTime, object, oneOf, optionalString, string } from './json-check.js';

export const LOG_NAMES = ['system', 'consumer', 'calibration'] as const;
export type LogName = (typeof LOG_NAMES)[number];

/** VDE AR 2418-6 / TRuDI levels (spec notes §10): 1 info, 2 warning, 3 error, 4 fatal. */
export type LogLevelNumber = 1 | 2 | 3 | 4;
/** 0 success, 1 failure, 2 extension (spec notes §10). */
export type LogOutcome = 0 | 1 | 2;

export interface LogEntry {
  readonly log: LogName;
  /** Unique and monotonic per log, from 1. */
  readonly index: number;
  readonly time: string;
  readonly level: LogLevelNumber;
  readonly outcome: LogOutcome;
  /** Stable event name, e.g. "LMN_REPLAY", "WAKEUP_ACCEPTED", "PROFILE_SET". */
  readonly event: string;
  readonly message: string;
  /** What the event is about (a meter ID, a profile ID, a peer); never consumer data in the system log. */
  readonly subject?: string;
  /** Consumer log only: the consumer the entry belongs to. */
  readonly user?: string;
  readonly prevHash: string;
  readonly hash: string;
}

const HASH = /^[0-9a-f]{64}$/;
const EVENT = /^[A-Z][A-Z0-9_]{1,63}$/;

export function parseLogEntry(v: unknown, path = 'entry'): LogEntry {
  const o = object(v, path, [
    'log',
    'index',
    'time',
    'level',
    'outcome',
    'event',
    'message',
    'subject',
    'user',
    'prevHash',
    'hash',
  ]);
  const subject = optionalString(o.subject, `${path}.subject`, undefined, 256);
  const user = o.user === undefined ? undefined : id(o.user, `${path}.user`);
  return {
    log: oneOf(o.log, `${path}.log`, LOG_NAMES),
    index: integer(o.index, `${path}.index`, 1, Number.MAX_SAFE_INTEGER),
    time: isoTime(o.time, `${path}.time`),
    level: oneOf(o.level, `${path}.level`, [1, 2, 3, 4] as const),
    outcome: oneOf(o.outcome, `${path}.outcome`, [0, 1, 2] as const),
    event: string(o.event, `${path}.event`, EVENT, 64),
    message: string(o.message, `${path}.message`, undefined, 2048),
    ...(subject === undefined ? {} : { subject }),
    ...(user === undefined ? {} : { user }),
    prevHash: string(o.prevHash, `${path}.prevHash`, HASH, 64),
    hash: string(o.hash, `${path}.hash`, HASH, 64),
  };
}

export function parseLogEntries(v: unknown, path = 'entries'): LogEntry[] {
  return array(v, path, parseLogEntry, 1500);
}
