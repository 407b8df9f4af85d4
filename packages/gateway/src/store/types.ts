/**
 * The gateway's store as the rest of the gateway sees it: the contract between store/ (SQLite,
 * implemented in store/gateway-store.ts) and lmn/, wan/, core/. Synchronous on purpose:
 * better-sqlite3 is synchronous, and a transaction that never awaits cannot interleave with
 * another one, so "persist, then acknowledge" is one call.
 *
 * Times are ms since the epoch (UTC). Register values are decimal integer text (they may exceed
 * 2^53), with a decimal scaler as in COSEM.
 */
import type {
  CommunicationProfile,
  EvaluationProfile,
  LogEntry,
  LogLevelNumber,
  LogName,
  LogOutcome,
  MeterProfile,
  ReadingKind,
} from '@opensmgw/protocol';

/** How the value reached the gateway; only 'mode7' and 'tls' values feed the metrological TAFs 1, 2, 6, 7. */
export type ReadingSecurity = 'mode7' | 'mode5' | 'tls';

export interface NewReading {
  readonly meterId: string;
  /** OBIS hex, e.g. "0100010800ff". */
  readonly obis: string;
  readonly value: string;
  readonly scaler: number;
  readonly unit: string;
  readonly captureTimeMs: number;
  /** SMGW status word (spec notes §7.3), e.g. 0x200 when system time was invalid. */
  readonly smgwStatus: number;
  readonly meterStatus?: number;
  readonly security: ReadingSecurity;
}

export interface StoredReading extends NewReading {
  /** Row id in the original value list (monotonic). */
  readonly id: number;
}

/** One telegram (wM-Bus) or SML list to accept atomically. */
export interface IncomingValues {
  readonly meterId: string;
  /**
   * The meter's message counter (AFL.MCR for wM-Bus mode 7; null when the transport has none,
   * e.g. SML over TLS, whose TLS session protects against replay).
   */
  readonly counter: number | null;
  readonly readings: readonly NewReading[];
}

/**
 * 'stored': readings written and the counter advanced in one transaction.
 * 'replay': counter not strictly greater than the stored one; nothing written.
 */
export type AcceptOutcome = 'stored' | 'replay';

/** What the TAF engine reads (implemented by the store; a fake in unit tests). */
export interface ReadingSource {
  /** The newest reading of (meter, obis) with capture time ≤ atMs and > notBeforeMs (if given). */
  lastAtOrBefore(meterId: string, obis: string, atMs: number, notBeforeMs?: number): StoredReading | undefined;
  /** Readings of (meter, obis) with fromMs < capture time ≤ toMs, ascending, at most `limit`. */
  between(meterId: string, obis: string, fromMs: number, toMs: number, limit: number): StoredReading[];
}

/** A value computed by a TAF (derived/daily list) before it is stored. */
export interface NewDerivedValue {
  readonly evaluationProfileId: string;
  readonly meterId: string;
  readonly obis: string;
  readonly kind: ReadingKind;
  readonly value: string;
  readonly scaler: number;
  readonly unit: string;
  readonly captureTimeMs: number;
  /** End of the TAF period the value is for. */
  readonly targetTimeMs: number;
  readonly smgwStatus: number;
  readonly meterStatus?: number;
}

export interface StoredDerivedValue extends NewDerivedValue {
  readonly id: number;
}

export interface NewDelivery {
  /** Unique; also inside the payload (protocol readings.ts). */
  readonly messageId: string;
  /** Communication profile id. */
  readonly recipientId: string;
  readonly evaluationProfileId: string;
  /** The plaintext payload (protocol ReadingsMessage JSON); sealed as CMS at send time. */
  readonly payload: Uint8Array;
  readonly createdMs: number;
}

export interface QueuedDelivery extends NewDelivery {
  /** Queue order (monotonic); deliveries to one recipient go out strictly in this order. */
  readonly seq: number;
  readonly attempts: number;
  readonly nextAttemptMs: number;
  readonly lastError?: string;
}

export interface NewLogEntry {
  readonly level: LogLevelNumber;
  readonly outcome: LogOutcome;
  readonly event: string;
  readonly message: string;
  readonly subject?: string;
  /** Consumer log: the consumer the entry belongs to. */
  readonly user?: string;
}

/** The newest entry of a log: what a GWA remembers to detect a truncated log (a chain alone cannot). */
export interface LogHead {
  readonly index: number;
  readonly hash: string;
}

export type LogVerifyResult =
  | { readonly ok: true; readonly log: LogName; readonly entries: number; readonly head: string }
  | {
      readonly ok: false;
      readonly log: LogName;
      readonly entries: number;
      readonly brokenAt: number;
      readonly reason: string;
    };

/** Everything a TAF period close writes, in one transaction (crash: all or nothing). */
export interface TafCommit {
  readonly evaluationProfileId: string;
  /** The profile's progress after this commit (the last period end processed). */
  readonly processedUntilMs: number;
  readonly derived: readonly NewDerivedValue[];
  readonly deliveries: readonly NewDelivery[];
  readonly consumerLog: readonly NewLogEntry[];
  readonly calibrationLog: readonly NewLogEntry[];
  /** Time stamped on the log entries (ms since the epoch); default: the store's clock. */
  readonly timeMs?: number;
}

export interface GatewayStore extends ReadingSource {
  // --- original value list and replay counters (lmn/) ---
  /** Accepts each item in order inside ONE transaction; returns an outcome per item. */
  accept(items: readonly IncomingValues[]): AcceptOutcome[];
  /** The stored message counter of a meter (undefined: none yet). */
  meterCounter(meterId: string): number | undefined;
  /** Readings of a meter (all channels) with id > afterId, ascending, at most `limit` (HAN, tests). */
  readingsAfter(meterId: string, afterId: number, limit: number): StoredReading[];
  countReadings(): number;

  // --- profiles (wan/ admin jobs; read by lmn/ and core/) ---
  putMeterProfile(p: MeterProfile): void;
  deleteMeterProfile(meterId: string): boolean;
  meterProfiles(): MeterProfile[];
  putCommunicationProfile(p: CommunicationProfile): void;
  deleteCommunicationProfile(id: string): boolean;
  communicationProfiles(): CommunicationProfile[];
  putEvaluationProfile(p: EvaluationProfile): void;
  deleteEvaluationProfile(id: string): boolean;
  evaluationProfiles(): EvaluationProfile[];

  // --- TAF results (core/) ---
  /** Last period end processed for an evaluation profile (undefined: not started). */
  tafProgress(evaluationProfileId: string): number | undefined;
  commitTaf(commit: TafCommit): void;
  derivedValues(evaluationProfileId: string, fromMs: number, toMs: number, limit: number): StoredDerivedValue[];
  /** Deletes derived values of `kind` with target time < beforeMs (TAF 6 keeps six weeks). Returns rows deleted. */
  pruneDerived(kind: 'daily' | 'derived' | 'original', beforeMs: number): number;

  // --- delivery queue (wan/) ---
  enqueue(d: NewDelivery): void;
  /** The head of a recipient's queue if due (nextAttemptMs ≤ nowMs): strict order, no overtaking. */
  nextDelivery(recipientId: string, nowMs: number): QueuedDelivery | undefined;
  /** Recipients with anything queued. */
  pendingRecipients(): string[];
  markDelivered(seq: number): void;
  markFailed(seq: number, nextAttemptMs: number, error: string): void;
  queueLength(recipientId?: string): number;

  // --- the three logs, hash-chained (spec notes §10) ---
  appendLog(log: LogName, entry: NewLogEntry, timeMs: number): LogEntry;
  /** Entries with index ≥ fromIndex, ascending, at most `count` (≤ 1500); consumer log filtered by user when given. */
  readLog(log: LogName, fromIndex: number, count: number, user?: string): LogEntry[];
  verifyLog(log: LogName): LogVerifyResult;
  /** The newest entry's index and hash (undefined: empty log). Cutting the tail off a chain keeps it valid: compare heads. */
  logHead(log: LogName): LogHead | undefined;

  // --- small persistent state (wake-up replay state, time offset, WAN identity, schedule) ---
  getState<T = unknown>(key: string): T | undefined;
  setState(key: string, value: unknown): void;

  /**
   * Runs `work` inside one transaction, so the commits it makes (e.g. many TAF period closes)
   * share one durable sync instead of one each; a commit inside that throws is rolled back to its
   * own savepoint and the others stay. Nothing else may await inside `work` (it is synchronous).
   */
  batch<T>(work: () => T): T;

  close(): void;
}
