/**
 * Small persistent state of the gateway (wake-up replay state, time offset, WAN identity,
 * schedules): JSON values by key. Reads parse the JSON again, so a row edited into non-JSON is
 * SMGW_STORE_CORRUPT, not a SyntaxError deep inside a caller.
 */
import type { Statement } from 'better-sqlite3';
import { badArgument, corrupt } from './errors.js';
import type { Db } from './schema.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
/** State values are small; a megabyte is already a bug. */
const MAX_JSON_LENGTH = 1024 * 1024;

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY.test(key)) throw badArgument('state key is not a valid key');
  return key;
}

export class StateTable {
  readonly #get: Statement<[string], { json: string }>;
  readonly #set: Statement<[string, string]>;
  readonly #delete: Statement<[string]>;

  constructor(db: Db) {
    this.#get = db.prepare('SELECT json FROM state WHERE key = ?');
    this.#set = db.prepare(
      'INSERT INTO state (key, json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json',
    );
    this.#delete = db.prepare('DELETE FROM state WHERE key = ?');
  }

  get<T>(key: string): T | undefined {
    const row = this.#get.get(checkKey(key));
    if (row === undefined) return undefined;
    try {
      return JSON.parse(row.json) as T;
    } catch (e) {
      throw corrupt(`state ${JSON.stringify(key)} is not JSON`, { key }, e);
    }
  }

  /** Stores `value` as JSON; `undefined` deletes the key. Values JSON cannot represent are refused. */
  set(key: string, value: unknown): void {
    checkKey(key);
    if (value === undefined) {
      this.#delete.run(key);
      return;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (e) {
      throw badArgument(`state ${JSON.stringify(key)}: value is not representable as JSON (${(e as Error).message})`, {
        key,
      });
    }
    if (json === undefined)
      throw badArgument(`state ${JSON.stringify(key)}: value is not representable as JSON`, { key });
    if (json.length > MAX_JSON_LENGTH)
      throw badArgument(`state ${JSON.stringify(key)}: value larger than 1 MiB`, { key });
    this.#set.run(key, json);
  }
}
