/**
 * The gateway store on SQLite (better-sqlite3, WAL): the GatewayStore contract of types.ts put
 * together from one small module per table. This file owns the transactions: which writes
 * belong together, so that a crash leaves all of them or none.
 *
 * Durability: synchronous=FULL by default, so when accept() returns 'stored' the telegram is on
 * disk (fsynced WAL) and survives kill -9 and power loss alike; the meter counter advances in
 * the same transaction, so a replayed telegram after a restart is still recognised.
 */
import { type Clock, systemClock } from '@opensmgw/core';
import type { CommunicationProfile, EvaluationProfile, LogEntry, LogName, MeterProfile } from '@opensmgw/protocol';
import type { Transaction } from 'better-sqlite3';
import { checkId, checkInteger, checkTimeMs } from './argument-checks.js';
import { MeterCounters } from './counters.js';
import { checkDelivery, DeliveryQueue } from './deliveries.js';
import { checkDerived, DerivedTable } from './derived.js';
import { badArgument, StoreError, toStoreError } from './errors.js';
import { LogBook } from './logs.js';
import { type Profiles, profileTables } from './profiles.js';
import { checkReading, ReadingTable } from './readings.js';
import { type Db, type OpenOptions, openDatabase } from './schema.js';
import { StateTable } from './state.js';
import { TafProgress } from './taf-progress.js';
import type {
  AcceptOutcome,
  GatewayStore,
  IncomingValues,
  LogHead,
  LogVerifyResult,
  NewDelivery,
  NewLogEntry,
  QueuedDelivery,
  StoredDerivedValue,
  StoredReading,
  TafCommit,
} from './types.js';

export interface GatewayStoreOptions extends OpenOptions {
  /** Time for log entries written without an explicit time (commitTaf). Default: the system clock. */
  readonly clock?: Clock;
}

/** Most telegrams per accept() call and readings per telegram: bounds one transaction's size. */
export const MAX_ACCEPT_BATCH = 10_000;
export const MAX_READINGS_PER_ITEM = 1_000;
/** Most rows of each kind in one TAF commit. */
export const MAX_TAF_ROWS = 100_000;

function checkItem(item: IncomingValues, field: string): void {
  if (item === null || typeof item !== 'object') throw badArgument(`${field} is not an object`, { field });
  checkId(item.meterId, `${field}.meterId`);
  if (item.counter !== null) checkInteger(item.counter, `${field}.counter`, 0, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(item.readings) || item.readings.length > MAX_READINGS_PER_ITEM) {
    throw badArgument(`${field}.readings must be an array of at most ${MAX_READINGS_PER_ITEM}`, { field });
  }
  for (let j = 0; j < item.readings.length; j++) {
    const r = item.readings[j] as IncomingValues['readings'][number];
    checkReading(r, `${field}.readings[${j}]`);
    if (r.meterId !== item.meterId)
      throw badArgument(`${field}.readings[${j}].meterId is not the item's meter`, { field });
  }
}

function checkList<T>(v: readonly T[], field: string, check: (x: T, f: string) => void): void {
  if (!Array.isArray(v) || v.length > MAX_TAF_ROWS)
    throw badArgument(`${field} must be an array of at most ${MAX_TAF_ROWS}`);
  for (let i = 0; i < v.length; i++) check(v[i] as T, `${field}[${i}]`);
}

class SqliteGatewayStore implements GatewayStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #readings: ReadingTable;
  readonly #counters: MeterCounters;
  readonly #profiles: Profiles;
  readonly #derived: DerivedTable;
  readonly #progress: TafProgress;
  readonly #deliveries: DeliveryQueue;
  readonly #logs: LogBook;
  readonly #state: StateTable;
  readonly #acceptTx: Transaction<(items: readonly IncomingValues[]) => AcceptOutcome[]>;
  readonly #commitTafTx: Transaction<(c: TafCommit, timeMs: number) => void>;
  readonly #appendLogTx: Transaction<(log: LogName, e: NewLogEntry, timeMs: number) => LogEntry>;
  readonly #deleteEvaluationTx: Transaction<(id: string) => boolean>;
  #closed = false;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.#readings = new ReadingTable(db);
    this.#counters = new MeterCounters(db);
    this.#profiles = profileTables(db);
    this.#derived = new DerivedTable(db);
    this.#progress = new TafProgress(db);
    this.#deliveries = new DeliveryQueue(db);
    this.#logs = new LogBook(db);
    this.#state = new StateTable(db);

    // One transaction per batch (the hot path): a throw anywhere rolls back every item of it.
    this.#acceptTx = db.transaction((items: readonly IncomingValues[]): AcceptOutcome[] => {
      const outcomes: AcceptOutcome[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as IncomingValues;
        checkItem(item, `items[${i}]`);
        if (item.counter !== null && !this.#counters.advance(item.meterId, item.counter)) {
          outcomes.push('replay');
          continue;
        }
        for (const r of item.readings) this.#readings.insert(r);
        outcomes.push('stored');
      }
      return outcomes;
    });

    this.#commitTafTx = db.transaction((c: TafCommit, timeMs: number): void => {
      for (const v of c.derived) this.#derived.insert(v);
      for (const d of c.deliveries) this.#deliveries.insert(d);
      for (const e of c.consumerLog) this.#logs.append('consumer', e, timeMs);
      for (const e of c.calibrationLog) this.#logs.append('calibration', e, timeMs);
      this.#progress.advance(c.evaluationProfileId, c.processedUntilMs);
    });

    this.#appendLogTx = db.transaction((log: LogName, e: NewLogEntry, timeMs: number) =>
      this.#logs.append(log, e, timeMs),
    );

    this.#deleteEvaluationTx = db.transaction((id: string): boolean => {
      const deleted = this.#profiles.evaluation.delete(id);
      if (deleted) this.#progress.forget(id);
      return deleted;
    });
  }

  /** Every public method runs through here: closed check, and any failure as a StoreError. */
  #run<T>(operation: string, fn: () => T): T {
    if (this.#closed) throw new StoreError('SMGW_STORE_CLOSED', `${operation}: the store is closed`);
    try {
      return fn();
    } catch (e) {
      throw toStoreError(e, operation);
    }
  }

  // --- original value list and replay counters ---

  accept(items: readonly IncomingValues[]): AcceptOutcome[] {
    return this.#run('accept', () => {
      if (!Array.isArray(items) || items.length > MAX_ACCEPT_BATCH) {
        throw badArgument(`items must be an array of at most ${MAX_ACCEPT_BATCH}`);
      }
      // IMMEDIATE: take the write lock up front, so a concurrent writer makes us wait
      // (busy_timeout) instead of failing the upgrade from a read lock.
      return this.#acceptTx.immediate(items);
    });
  }

  meterCounter(meterId: string): number | undefined {
    return this.#run('meterCounter', () => this.#counters.get(meterId));
  }

  readingsAfter(meterId: string, afterId: number, limit: number): StoredReading[] {
    return this.#run('readingsAfter', () => this.#readings.after(meterId, afterId, limit));
  }

  countReadings(): number {
    return this.#run('countReadings', () => this.#readings.count());
  }

  lastAtOrBefore(meterId: string, obis: string, atMs: number, notBeforeMs?: number): StoredReading | undefined {
    return this.#run('lastAtOrBefore', () => this.#readings.lastAtOrBefore(meterId, obis, atMs, notBeforeMs));
  }

  between(meterId: string, obis: string, fromMs: number, toMs: number, limit: number): StoredReading[] {
    return this.#run('between', () => this.#readings.between(meterId, obis, fromMs, toMs, limit));
  }

  // --- profiles ---

  putMeterProfile(p: MeterProfile): void {
    this.#run('putMeterProfile', () => this.#profiles.meters.put(p));
  }

  deleteMeterProfile(meterId: string): boolean {
    return this.#run('deleteMeterProfile', () => this.#profiles.meters.delete(meterId));
  }

  meterProfiles(): MeterProfile[] {
    return this.#run('meterProfiles', () => this.#profiles.meters.all());
  }

  putCommunicationProfile(p: CommunicationProfile): void {
    this.#run('putCommunicationProfile', () => this.#profiles.communication.put(p));
  }

  deleteCommunicationProfile(id: string): boolean {
    return this.#run('deleteCommunicationProfile', () => this.#profiles.communication.delete(id));
  }

  communicationProfiles(): CommunicationProfile[] {
    return this.#run('communicationProfiles', () => this.#profiles.communication.all());
  }

  putEvaluationProfile(p: EvaluationProfile): void {
    this.#run('putEvaluationProfile', () => this.#profiles.evaluation.put(p));
  }

  /** Deletes the profile and its TAF progress (a new profile with this id starts afresh); derived values stay. */
  deleteEvaluationProfile(id: string): boolean {
    return this.#run('deleteEvaluationProfile', () => this.#deleteEvaluationTx.immediate(id));
  }

  evaluationProfiles(): EvaluationProfile[] {
    return this.#run('evaluationProfiles', () => this.#profiles.evaluation.all());
  }

  // --- TAF results ---

  tafProgress(evaluationProfileId: string): number | undefined {
    return this.#run('tafProgress', () => this.#progress.get(evaluationProfileId));
  }

  commitTaf(commit: TafCommit): void {
    this.#run('commitTaf', () => {
      if (commit === null || typeof commit !== 'object') throw badArgument('commit is not an object');
      checkId(commit.evaluationProfileId, 'commit.evaluationProfileId');
      checkTimeMs(commit.processedUntilMs, 'commit.processedUntilMs');
      checkList(commit.derived, 'commit.derived', checkDerived);
      checkList(commit.deliveries, 'commit.deliveries', checkDelivery);
      // Log entries are checked by LogBook.append inside the transaction (a bad one rolls all back).
      checkList(commit.consumerLog, 'commit.consumerLog', () => {});
      checkList(commit.calibrationLog, 'commit.calibrationLog', () => {});
      const timeMs = commit.timeMs === undefined ? this.#clock.now() : checkTimeMs(commit.timeMs, 'commit.timeMs');
      this.#commitTafTx.immediate(commit, timeMs);
    });
  }

  derivedValues(evaluationProfileId: string, fromMs: number, toMs: number, limit: number): StoredDerivedValue[] {
    return this.#run('derivedValues', () => this.#derived.range(evaluationProfileId, fromMs, toMs, limit));
  }

  pruneDerived(kind: 'daily' | 'derived' | 'original', beforeMs: number): number {
    return this.#run('pruneDerived', () => this.#derived.prune(kind, beforeMs));
  }

  // --- delivery queue ---

  enqueue(d: NewDelivery): void {
    this.#run('enqueue', () => {
      checkDelivery(d, 'delivery');
      this.#deliveries.insert(d);
    });
  }

  nextDelivery(recipientId: string, nowMs: number): QueuedDelivery | undefined {
    return this.#run('nextDelivery', () => this.#deliveries.next(recipientId, nowMs));
  }

  pendingRecipients(): string[] {
    return this.#run('pendingRecipients', () => this.#deliveries.recipients());
  }

  markDelivered(seq: number): void {
    this.#run('markDelivered', () => this.#deliveries.delivered(seq));
  }

  markFailed(seq: number, nextAttemptMs: number, error: string): void {
    this.#run('markFailed', () => this.#deliveries.failed(seq, nextAttemptMs, error));
  }

  queueLength(recipientId?: string): number {
    return this.#run('queueLength', () => this.#deliveries.length(recipientId));
  }

  // --- logs ---

  appendLog(log: LogName, entry: NewLogEntry, timeMs: number): LogEntry {
    return this.#run('appendLog', () => this.#appendLogTx.immediate(log, entry, timeMs));
  }

  readLog(log: LogName, fromIndex: number, count: number, user?: string): LogEntry[] {
    return this.#run('readLog', () => this.#logs.read(log, fromIndex, count, user));
  }

  verifyLog(log: LogName): LogVerifyResult {
    return this.#run('verifyLog', () => this.#logs.verify(log));
  }

  logHead(log: LogName): LogHead | undefined {
    return this.#run('logHead', () => this.#logs.head(log));
  }

  // --- state ---

  getState<T = unknown>(key: string): T | undefined {
    return this.#run('getState', () => this.#state.get<T>(key));
  }

  setState(key: string, value: unknown): void {
    this.#run('setState', () => this.#state.set(key, value));
  }

  /** Closes the database (a WAL checkpoint happens on close). Idempotent. */
  batch<T>(work: () => T): T {
    if (typeof work !== 'function') throw badArgument('batch needs a function');
    return this.#run('batch', () => this.#db.transaction(work).immediate());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch (e) {
      throw toStoreError(e, 'close');
    }
  }
}

/**
 * Opens (creating and migrating if needed) the gateway store at `path` (':memory:' for tests).
 * Throws StoreError: SMGW_STORE_CORRUPT (not a database), SMGW_STORE_VERSION (newer schema),
 * SMGW_STORE_FOREIGN (another application's database), SMGW_STORE_IO (cannot open).
 */
export function openGatewayStore(path: string, options: GatewayStoreOptions = {}): GatewayStore {
  const db = openDatabase(path, options);
  try {
    return new SqliteGatewayStore(db, options.clock ?? systemClock);
  } catch (e) {
    db.close();
    throw toStoreError(e, `open ${path}`);
  }
}
