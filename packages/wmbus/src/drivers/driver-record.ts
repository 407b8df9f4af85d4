/**
 * Helpers shared by the built-in drivers: how a driver-made record looks, and small readers for
 * the fixed layouts manufacturers use.
 *
 * Where a driver-made record comes from (the convention of every built-in driver):
 * - A value read from bytes that are not an EN 13757-3 data record (manufacturer data after DIF
 *   0F/1F, a manufacturer-specific CI or a manufacturer record's opaque payload) has `dif: ''` and
 *   `vif: ''`: there is no DIB/VIB on the wire. The telegram's `driver` (and its `explain` entry)
 *   names the driver that read it.
 * - A value that reinterprets a data record whose meaning the standard leaves to the manufacturer
 *   (VIF 7F/FF and its VIFEs) keeps that record's `dif` and `vif`: it is a second reading of the
 *   same bytes, next to the raw record the core reports.
 * - `quantity` says what the value is and nothing else ('volume', 'volume at end of January',
 *   'average ambient temperature'). The plain quantity names ('volume', 'energy', 'heat cost
 *   allocation', ...) with storage 0 are reserved for the meter's current reading; values at a
 *   billing date carry the storage number the format gives them (1: last due date, as the same
 *   meters' standard records use), and other history values say what they are in the quantity.
 * - Units are the contract's (records.ts). A unit outside it is named in the quantity and the
 *   unit is '' (as vif-tables.ts does for varh, VA, Hz).
 */
import type { DataRecord, RecordFunction } from '../records.js';

export interface DriverValue {
  readonly quantity: string;
  readonly unit: string;
  readonly value: number | string | null;
  readonly storage?: number;
  readonly tariff?: number;
  readonly subunit?: number;
  readonly function?: RecordFunction;
  /** DIB and VIB of the record the value reinterprets (VIF 7F/FF); '' when there is none. */
  readonly dif?: string;
  readonly vif?: string;
}

/** A record in the contract's shape for a value a driver read. */
export function driverRecord(v: DriverValue): DataRecord {
  return {
    dif: v.dif ?? '',
    vif: v.vif ?? '',
    storage: v.storage ?? 0,
    tariff: v.tariff ?? 0,
    subunit: v.subunit ?? 0,
    function: v.function ?? 'instantaneous',
    quantity: v.quantity,
    unit: v.unit,
    value: v.value,
  };
}

/** Unsigned little-endian integer of 1–6 bytes, or null when the bytes are not all there. */
export function uintLE(bytes: Uint8Array, offset: number, length: number): number | null {
  if (offset < 0 || offset + length > bytes.length) return null;
  let v = 0;
  for (let i = length - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] as number);
  return v;
}

/** Signed (two's complement) little-endian integer of 1–6 bytes, or null when short. */
export function intLE(bytes: Uint8Array, offset: number, length: number): number | null {
  const u = uintLE(bytes, offset, length);
  if (u === null) return null;
  const half = 2 ** (8 * length - 1);
  return u >= half ? u - 2 * half : u;
}

/** Unsigned big-endian 32-bit integer (4 bytes must be there). */
export function uint32BE(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  );
}

/** Divides by a power of ten exactly (10^-n multiplications are inexact: 1791 × 0.001 ≠ 1.791). */
export function decimal(raw: number, decimals: number): number {
  const v = raw / 10 ** decimals;
  return v === 0 ? 0 : v;
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** An ISO date from its parts, or null when the parts are not a calendar date. */
export function isoDate(year: number, month: number, day: number): string | null {
  if (!Number.isInteger(year) || year < 1900 || year > 2099) return null;
  if (month < 1 || month > 12 || day < 1) return null;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (DAYS_IN_MONTH[month] as number) + (leap ? 1 : 0)) return null;
  return `${year}-${PAD2[month]}-${PAD2[day]}`;
}

/**
 * Manufacturer flag → the two M-field bytes as sent (EN 13757-4 §5.4, little endian). Unlike
 * link-layer.ts `manufacturerCode` (an encoder's check) it takes every flag the decoder can report,
 * including the letters past Z that 5-bit codes 27–31 give.
 */
export function manufacturerBytes(flag: string): Uint8Array {
  const m =
    (((flag.charCodeAt(0) - 64) & 0x1f) << 10) |
    (((flag.charCodeAt(1) - 64) & 0x1f) << 5) |
    ((flag.charCodeAt(2) - 64) & 0x1f);
  return Uint8Array.of(m & 0xff, m >> 8);
}

/** Seconds of the mean Gregorian year (the contract's conversion for durations in years). */
export const YEAR_S = 31_556_952;
