/**
 * Where a simulated wM-Bus meter keeps its message counter C between runs. The counter must
 * never repeat and never wrap (spec notes §3.6: the sender increments it before each message;
 * a gateway rejects a C it has seen as a replay). So the counter of a telegram is stored
 * **before** the telegram leaves: a crash after the write skips a value, never repeats one.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DevicesError } from './errors.js';

export interface CounterStore {
  /** The last counter `meterId` used, if any. */
  last(meterId: string): number | undefined;
  /** Records that `meterId` uses `counter` now; persisted when this returns. */
  commit(meterId: string, counter: number): void;
}

export class MemoryCounterStore implements CounterStore {
  readonly #counters = new Map<string, number>();
  last(meterId: string): number | undefined {
    return this.#counters.get(meterId);
  }
  commit(meterId: string, counter: number): void {
    this.#counters.set(meterId, counter);
  }
}

export const COUNTER_STATE_FORMAT = 'opensmgw-meter-counters/1';
/** A state file larger than this is not ours (10,000 meters take about 400 kB). */
const MAX_STATE_BYTES = 4 << 20;
const METER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function badState(file: string, why: string, cause?: unknown): DevicesError {
  return new DevicesError('SMGW_DEV_BAD_STATE', `counter state ${file}: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    detail: { file },
  });
}

/** Parses a state file's text; anything but the expected shape is SMGW_DEV_BAD_STATE. */
export function parseCounterState(text: string, file = 'state'): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badState(file, 'not JSON', e);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw badState(file, 'not an object');
  const o = json as Record<string, unknown>;
  if (o.format !== COUNTER_STATE_FORMAT) throw badState(file, `format is not ${COUNTER_STATE_FORMAT}`);
  const counters = o.counters;
  if (counters === null || typeof counters !== 'object' || Array.isArray(counters))
    throw badState(file, 'counters is not an object');
  const out = new Map<string, number>();
  for (const [id, c] of Object.entries(counters as Record<string, unknown>)) {
    if (!METER_ID.test(id)) throw badState(file, `bad meter ID ${JSON.stringify(id.slice(0, 70))}`);
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0xffffffff)
      throw badState(file, `counter of ${id} is not an integer in 0..2^32-1`);
    out.set(id, c);
  }
  return out;
}

/**
 * Counters in a JSON file, rewritten whole on every commit (temporary file, fsync, rename), so a
 * crash leaves the old or the new file, never half of one.
 */
export class FileCounterStore implements CounterStore {
  readonly file: string;
  readonly #counters: Map<string, number>;
  #seq = 0;

  constructor(file: string) {
    this.file = file;
    if (!existsSync(file)) {
      this.#counters = new Map();
      return;
    }
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (e) {
      throw badState(file, `cannot read: ${(e as Error).message}`, e);
    }
    if (text.length > MAX_STATE_BYTES) throw badState(file, `larger than ${MAX_STATE_BYTES} bytes`);
    this.#counters = parseCounterState(text.toString('utf8'), file);
  }

  last(meterId: string): number | undefined {
    return this.#counters.get(meterId);
  }

  commit(meterId: string, counter: number): void {
    const before = this.#counters.get(meterId);
    this.#counters.set(meterId, counter);
    try {
      this.#write();
    } catch (e) {
      if (before === undefined) this.#counters.delete(meterId);
      else this.#counters.set(meterId, before);
      throw badState(this.file, `cannot write: ${(e as Error).message}`, e);
    }
  }

  #write(): void {
    const text = `${JSON.stringify({ format: COUNTER_STATE_FORMAT, counters: Object.fromEntries(this.#counters) })}\n`;
    const temp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.${++this.#seq}.tmp`);
    const fd = openSync(temp, 'wx', 0o644);
    try {
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
    } catch (e) {
      try {
        unlinkSync(temp);
      } catch {
        // already renamed or never created
      }
      throw e;
    }
  }
}
