/**
 * The three configuration profiles (spec notes §7.1), stored as the JSON the protocol readers
 * accept. Every read runs the protocol reader again: a row edited behind the gateway's back
 * (or written by an older, laxer version) becomes SMGW_STORE_CORRUPT naming the row, instead of
 * a profile nobody validated reaching the TAF engine or the radio.
 */
import {
  type CommunicationProfile,
  type EvaluationProfile,
  type MeterProfile,
  parseCommunicationProfile,
  parseEvaluationProfile,
  parseMeterProfile,
} from '@opensmgw/protocol';
import type { Statement } from 'better-sqlite3';
import { checkId } from './argument-checks.js';
import { corrupt, StoreError } from './errors.js';
import type { Db } from './schema.js';

type ProfileTableName = 'meter_profile' | 'communication_profile' | 'evaluation_profile';

export class ProfileTable<P> {
  readonly #table: ProfileTableName;
  readonly #parse: (v: unknown, path: string) => P;
  readonly #idOf: (p: P) => string;
  readonly #put: Statement<[string, string]>;
  readonly #delete: Statement<[string]>;
  readonly #all: Statement<[], { id: string; json: string }>;
  readonly #db: Db;
  /**
   * The validated rows as last read, while neither we (put/delete) nor another connection
   * (PRAGMA data_version) changed the database: re-validating 10,000 rows costs ~50 ms and the
   * TAF engine and the radio read them often. A change by another process is read and
   * validated again, so a row edited behind our back is still found.
   */
  #cache: { readonly version: number; readonly rows: readonly P[] } | undefined;

  constructor(db: Db, table: ProfileTableName, parse: (v: unknown, path: string) => P, idOf: (p: P) => string) {
    this.#db = db;
    this.#table = table;
    this.#parse = parse;
    this.#idOf = idOf;
    this.#put = db.prepare(
      `INSERT INTO ${table} (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
    );
    this.#delete = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    this.#all = db.prepare(`SELECT id, json FROM ${table} ORDER BY id`);
  }

  /** Validates with the protocol reader (the caller may hand us anything) and inserts or replaces. */
  put(profile: P): void {
    let valid: P;
    try {
      valid = this.#parse(profile, this.#table);
    } catch (e) {
      throw new StoreError('SMGW_STORE_BAD_ARGUMENT', `${this.#table}: not a valid profile`, {
        cause: e,
        detail: { table: this.#table, ...((e as { detail?: object }).detail ?? {}) },
      });
    }
    this.#cache = undefined;
    this.#put.run(this.#idOf(valid), JSON.stringify(valid));
  }

  delete(id: string): boolean {
    checkId(id, 'id');
    this.#cache = undefined;
    return this.#delete.run(id).changes > 0;
  }

  all(): P[] {
    // Inside a transaction our own uncommitted put may still be rolled back: no caching there.
    if (this.#db.inTransaction) return this.#all.all().map((row) => this.#read(row));
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (this.#cache?.version !== version) {
      this.#cache = undefined;
      this.#cache = { version, rows: this.#all.all().map((row) => this.#read(row)) };
    }
    return [...this.#cache.rows];
  }

  #read(row: { id: string; json: string }): P {
    let profile: P;
    try {
      profile = this.#parse(JSON.parse(row.json) as unknown, this.#table);
    } catch (e) {
      throw corrupt(
        `${this.#table} row ${JSON.stringify(row.id)} no longer validates`,
        { table: this.#table, id: row.id },
        e,
      );
    }
    if (this.#idOf(profile) !== row.id) {
      throw corrupt(`${this.#table} row ${JSON.stringify(row.id)} holds another profile's id`, {
        table: this.#table,
        id: row.id,
      });
    }
    return profile;
  }
}

export interface Profiles {
  readonly meters: ProfileTable<MeterProfile>;
  readonly communication: ProfileTable<CommunicationProfile>;
  readonly evaluation: ProfileTable<EvaluationProfile>;
}

export function profileTables(db: Db): Profiles {
  return {
    meters: new ProfileTable(db, 'meter_profile', parseMeterProfile, (p) => p.meterId),
    communication: new ProfileTable(db, 'communication_profile', parseCommunicationProfile, (p) => p.id),
    evaluation: new ProfileTable(db, 'evaluation_profile', parseEvaluationProfile, (p) => p.id),
  };
}
