/**
 * A simulated OMS wireless M-Bus meter: each `telegram(nowMs)` reads the consumption curve and
 * builds the frame a real mode-7 meter sends (spec notes §3.6, §8.2):
 *
 *   link layer format A with block CRCs, C = 44 (SND_NR), the meter's address
 *   → AFL (CI 90) with message counter C and AES-CMAC truncated to 8 bytes (auth type 5)
 *   → transport layer: short header (CI 7A, OMS default) or long header (CI 72),
 *     security mode 7, KDF-A (keys derived from MK, C and the meter ID per telegram)
 *   → records: electricity energy (Wh) and power (W); gas or water volume (m3); heat energy
 *     (kWh) and volume (m3), all instantaneous, storage 0.
 *
 * C grows by exactly 1 per telegram and is committed to the counter store before the frame is
 * returned (counter-store.ts), so it never repeats across restarts.
 */
import { fromHex } from '@opensmgw/core';
import { type EncodeAddress, encodeRecords, encodeTelegram, type RecordInput } from '@opensmgw/wmbus';
import { ConsumptionCurve, MEDIA, type Medium, type RegisterValue } from './consumption.js';
import { type CounterStore, MemoryCounterStore } from './counter-store.js';
import { DevicesError } from './errors.js';
import { type SentValue, sentValuesOf } from './sent-value.js';

/** EN 13757-3 device types of the four media. */
export const DEVICE_TYPE: Readonly<Record<Medium, number>> = { electricity: 0x02, gas: 0x03, water: 0x07, heat: 0x04 };

const MANUFACTURER = /^[A-Z]{3}$/;
const SERIAL = /^[0-9]{8}$/;
const KEY_HEX = /^[0-9a-fA-F]{32}$/;
const MAX_COUNTER = 0xffffffff;
/** Configuration word bit S: periodic (synchronous) transmission (OMS). */
const CONFIG_SYNCHRONOUS = 0x2000;
/** Data field 4: 32-bit integer. */
const INT32 = 0x04;

export interface WmbusMeterOptions {
  /** Three-letter manufacturer flag, e.g. "ELS". */
  readonly manufacturer: string;
  /** Identification number as printed: 8 digits. */
  readonly serial: string;
  readonly medium: Medium;
  /** Individual master key MK, 32 hex digits. */
  readonly keyHex: string;
  /** Nominal transmission interval (the fleet uses it; the telegram itself does not). */
  readonly intervalSeconds: number;
  /** First message counter for a meter the counter store does not know. Default 1. */
  readonly counterStart?: number;
  /** Seed of the consumption curve. */
  readonly seed: number;
  /** Where C is kept; default in memory (a restart then starts at counterStart again). */
  readonly counterStore?: CounterStore;
  /** Transport header: 'short' (CI 7A, OMS default) or 'long' (CI 72). */
  readonly header?: 'short' | 'long';
  /** Version byte of the address. Default 1. */
  readonly version?: number;
}

export interface MeterTelegram {
  /** The frame as the radio carries it (format A, from the L field). */
  readonly frame: Uint8Array;
  /** The values in this telegram. */
  readonly sent: SentValue[];
  readonly counter: number;
}

function bad(message: string): DevicesError {
  return new DevicesError('SMGW_DEV_BAD_ARGUMENT', message);
}

/** VIF of a register (EN 13757-3 Table 10): energy Wh, power W, volume m3, with the scaler in the low bits. */
function vifOf(v: RegisterValue): number {
  if (v.quantity === 'energy' && v.scaler >= -3 && v.scaler <= 4) return 0x00 + v.scaler + 3;
  if (v.quantity === 'power' && v.scaler >= -3 && v.scaler <= 4) return 0x28 + v.scaler + 3;
  if (v.quantity === 'volume' && v.scaler >= -6 && v.scaler <= 1) return 0x10 + v.scaler + 6;
  throw bad(`no VIF for ${v.quantity} with scaler ${v.scaler}`);
}

/** The data records of a reading, values in the decoder's units (value × 10^scaler). */
export function recordsOf(values: readonly RegisterValue[]): RecordInput[] {
  return values.map((v) => ({
    dataField: INT32,
    function: 'instantaneous',
    storage: 0,
    vif: Uint8Array.of(vifOf(v)),
    value: v.scaler >= 0 ? v.value * 10 ** v.scaler : v.value / 10 ** -v.scaler,
  }));
}

export class WmbusMeterSimulator {
  readonly manufacturer: string;
  readonly serial: string;
  readonly medium: Medium;
  readonly meterId: string;
  readonly intervalSeconds: number;
  readonly #key: Uint8Array;
  readonly #address: EncodeAddress;
  readonly #header: 'short' | 'long';
  readonly #store: CounterStore;
  readonly #counterStart: number;
  readonly #curve: ConsumptionCurve;

  constructor(options: WmbusMeterOptions) {
    if (!MANUFACTURER.test(String(options.manufacturer))) throw bad('manufacturer must be three capital letters');
    if (!SERIAL.test(String(options.serial))) throw bad('serial must be 8 digits');
    if (!(MEDIA as readonly string[]).includes(options.medium)) throw bad(`unknown medium ${String(options.medium)}`);
    if (!KEY_HEX.test(String(options.keyHex))) throw bad('keyHex must be 32 hex digits');
    if (!Number.isInteger(options.intervalSeconds) || options.intervalSeconds < 1 || options.intervalSeconds > 86_400)
      throw bad('intervalSeconds must be an integer in 1..86400');
    const counterStart = options.counterStart ?? 1;
    if (!Number.isInteger(counterStart) || counterStart < 0 || counterStart > MAX_COUNTER)
      throw bad('counterStart must be an integer in 0..2^32-1');
    const version = options.version ?? 1;
    if (!Number.isInteger(version) || version < 0 || version > 0xff) throw bad('version must be a byte');
    this.manufacturer = options.manufacturer;
    this.serial = options.serial;
    this.medium = options.medium;
    this.meterId = `${options.manufacturer}-${options.serial}`;
    this.intervalSeconds = options.intervalSeconds;
    this.#key = fromHex(options.keyHex);
    this.#address = {
      manufacturer: options.manufacturer,
      id: options.serial,
      version,
      deviceType: DEVICE_TYPE[options.medium],
    };
    this.#header = options.header ?? 'short';
    this.#store = options.counterStore ?? new MemoryCounterStore();
    this.#counterStart = counterStart;
    this.#curve = new ConsumptionCurve({ medium: this.medium, seed: options.seed });
  }

  /** The counter the next telegram will carry. */
  get nextCounter(): number {
    const last = this.#store.last(this.meterId);
    return last === undefined ? this.#counterStart : Math.max(last + 1, this.#counterStart);
  }

  /**
   * Builds the next telegram at wall time `nowMs`. The counter is committed to the store before
   * this returns: send the frame afterwards.
   */
  telegram(nowMs: number): MeterTelegram {
    const counter = this.nextCounter;
    if (counter > MAX_COUNTER) {
      throw new DevicesError('SMGW_DEV_COUNTER_EXHAUSTED', `${this.meterId}: message counter at 2^32-1`, {
        detail: { meterId: this.meterId },
      });
    }
    const reading = this.#curve.read(nowMs);
    const accessNumber = counter & 0xff;
    const tpl = this.#header === 'long' ? { ci: 0x72, address: this.#address } : { ci: 0x7a };
    const frame = encodeTelegram({
      format: 'A',
      cField: 0x44,
      address: this.#address,
      afl: { counter, authType: 5 },
      tpl: { ...tpl, accessNumber, status: 0, configFlags: CONFIG_SYNCHRONOUS, mode: 7, kdf: 1 },
      apl: encodeRecords(recordsOf(reading.values)),
      key: this.#key,
    });
    this.#store.commit(this.meterId, counter);
    return { frame, counter, sent: sentValuesOf(this.meterId, this.medium, reading.values, counter, nowMs) };
  }
}
