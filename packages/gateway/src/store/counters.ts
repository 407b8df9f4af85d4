/**
 * Replay protection for the LMN (spec notes §8.2): the last accepted message counter per meter.
 * A telegram is new only if its counter is strictly greater than the stored one; the check and
 * the advance are one conditional upsert, inside the same transaction as the readings it guards.
 */
import type { Statement } from 'better-sqlite3';
import { checkId } from './argument-checks.js';
import type { Db } from './schema.js';

export class MeterCounters {
  readonly #advance: Statement<[string, number]>;
  readonly #get: Statement<[string], { counter: number }>;

  constructor(db: Db) {
    this.#advance = db.prepare(
      `INSERT INTO meter_counter (meter_id, counter) VALUES (?, ?)
       ON CONFLICT (meter_id) DO UPDATE SET counter = excluded.counter WHERE excluded.counter > meter_counter.counter`,
    );
    this.#get = db.prepare('SELECT counter FROM meter_counter WHERE meter_id = ?');
  }

  /** Stores `counter` if it is greater than the meter's stored one; false means a replay (nothing changed). */
  advance(meterId: string, counter: number): boolean {
    return this.#advance.run(meterId, counter).changes === 1;
  }

  get(meterId: string): number | undefined {
    checkId(meterId, 'meterId');
    return this.#get.get(meterId)?.counter;
  }
}
