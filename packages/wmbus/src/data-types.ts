/**
 * EN 13757-3 data field codes (DIF bits 0–3, Table 4) and the data types of its Annex A, in one
 * place: how many bytes each code takes, and how to read and write integers (type B), BCD (type A),
 * 32-bit real (type H), variable-length data (LVAR, Table 5) and the date/time types G, F, I, J.
 *
 * Hot path: plain loops over bytes, no allocation beyond the returned value, no regex.
 * Readers assume the caller has checked the bounds (records.ts does, once per record).
 */
import { WmbusError } from './errors.js';

/** The data field codes of EN 13757-3 Table 4. */
export const DataField = {
  none: 0x0,
  int8: 0x1,
  int16: 0x2,
  int24: 0x3,
  int32: 0x4,
  real32: 0x5,
  int48: 0x6,
  int64: 0x7,
  selectionForReadout: 0x8,
  bcd2: 0x9,
  bcd4: 0xa,
  bcd6: 0xb,
  bcd8: 0xc,
  variableLength: 0xd,
  bcd12: 0xe,
  specialFunction: 0xf,
} as const;

/** Fixed data length in bytes per data field code; -1: variable length (LVAR); -2: special function. */
export const DATA_FIELD_LENGTH: readonly number[] = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2];

/** Readable names of the data field codes (for --explain). */
export const DATA_FIELD_NAME: readonly string[] = [
  'no data',
  '8-bit integer',
  '16-bit integer',
  '24-bit integer',
  '32-bit integer',
  '32-bit real',
  '48-bit integer',
  '64-bit integer',
  'selection for readout',
  '2-digit BCD',
  '4-digit BCD',
  '6-digit BCD',
  '8-digit BCD',
  'variable length',
  '12-digit BCD',
  'special function',
];

/** True for the BCD codes 9, A, B, C and E. */
export function isBcdField(dataField: number): boolean {
  return (dataField >= 0x9 && dataField <= 0xc) || dataField === 0xe;
}

/** True for the integer codes 1, 2, 3, 4, 6 and 7. */
export function isIntegerField(dataField: number): boolean {
  return (dataField >= 0x1 && dataField <= 0x4) || dataField === 0x6 || dataField === 0x7;
}

// ---------------------------------------------------------------------------------------------
// Hex (for the record fields `dif`, `vif` and raw values)

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Upper-case hex of bytes[start, end). String concatenation: cheaper than Buffer for a few bytes. */
export function hexOf(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i] as number];
  return s;
}

/** Parses hex written by `hexOf` (or any case); throws SMGW_WMBUS_ENCODE on anything else. */
export function bytesOfHex(hex: string, what: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', `${what}: not hex: ${JSON.stringify(hex)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Integers (type B signed, type C unsigned, type D bit fields), little-endian, 1–8 bytes.

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Reads a little-endian integer of 1–8 bytes. Up to 6 bytes the result is exact; 8-byte values
 * beyond ±2^53 lose their lowest bits (a JavaScript number has a 53-bit mantissa). EN 13757-3
 * integers are type B (two's complement) unless the VIF says the field is a bit field or counter.
 */
export function readInt(bytes: Uint8Array, offset: number, length: number, signed: boolean): number {
  if (length <= 6) {
    let v = 0;
    for (let i = length - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] as number);
    if (signed && (bytes[offset + length - 1] as number) & 0x80) v -= 2 ** (8 * length);
    return v;
  }
  let lo = 0;
  let hi = 0;
  for (let i = 3; i >= 0; i--) lo = lo * 256 + (bytes[offset + i] as number);
  for (let i = length - 1; i >= 4; i--) hi = hi * 256 + (bytes[offset + i] as number);
  if (signed && hi >= 2 ** (8 * (length - 4) - 1)) hi -= 2 ** (8 * (length - 4));
  return hi * TWO_POW_32 + lo;
}

/** An unsigned 64-bit integer as an exact decimal string (identifiers beyond 2^53). */
export function readUInt64Decimal(bytes: Uint8Array, offset: number): string {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] as number);
  return v.toString();
}

/** Writes an unsigned 64-bit integer given as a decimal string. */
export function writeUInt64Decimal(out: Uint8Array, offset: number, text: string): void {
  if (!/^\d{1,20}$/.test(text))
    throw new WmbusError('SMGW_WMBUS_ENCODE', `64-bit field: ${JSON.stringify(text)} is not a decimal`);
  let v = BigInt(text);
  if (v >= 1n << 64n) throw new WmbusError('SMGW_WMBUS_ENCODE', `64-bit field: ${text} does not fit 8 bytes`);
  for (let i = 0; i < 8; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Writes an integer of 1–8 bytes little-endian; throws SMGW_WMBUS_ENCODE when it does not fit. */
export function writeInt(out: Uint8Array, offset: number, length: number, value: number, signed: boolean): void {
  if (!Number.isInteger(value)) throw new WmbusError('SMGW_WMBUS_ENCODE', `integer field: ${value} is not an integer`);
  const bits = 8 * length;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (value < min || value > max) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', `integer field: ${value} does not fit ${length} byte(s)`);
  }
  if (length <= 6) {
    writeUnsigned(out, offset, length, value < 0 ? 2 ** bits + value : value);
    return;
  }
  // 2^64 + value is not exact in a double: split into two 32-bit halves first
  const lo = ((value % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
  const hi = Math.floor(value / TWO_POW_32);
  writeUnsigned(out, offset, 4, lo);
  writeUnsigned(out, offset + 4, length - 4, hi < 0 ? 2 ** (bits - 32) + hi : hi);
}

function writeUnsigned(out: Uint8Array, offset: number, length: number, value: number): void {
  let v = value;
  for (let i = 0; i < length; i++) {
    const byte = v % 256;
    out[offset + i] = byte;
    v = (v - byte) / 256;
  }
}

// ---------------------------------------------------------------------------------------------
// BCD (type A). A most significant nibble F is the minus sign; any other nibble above 9 makes
// the value invalid (meters send FF… for "no value"), which we report as null.

export function readBcd(bytes: Uint8Array, offset: number, length: number): number | null {
  let v = 0;
  let negative = false;
  for (let i = length - 1; i >= 0; i--) {
    const b = bytes[offset + i] as number;
    let hi = b >> 4;
    const lo = b & 0x0f;
    if (i === length - 1 && hi === 0x0f) {
      negative = true;
      hi = 0;
    }
    if (hi > 9 || lo > 9) return null;
    v = v * 100 + hi * 10 + lo;
  }
  return negative && v !== 0 ? -v : v;
}

/** Writes BCD; null writes all F (read back as invalid). A negative value uses the top nibble F. */
export function writeBcd(out: Uint8Array, offset: number, length: number, value: number | null): void {
  if (value === null) {
    out.fill(0xff, offset, offset + length);
    return;
  }
  if (!Number.isInteger(value)) throw new WmbusError('SMGW_WMBUS_ENCODE', `BCD field: ${value} is not an integer`);
  const digits = 2 * length;
  const limit = value < 0 ? 10 ** (digits - 1) : 10 ** digits;
  let v = Math.abs(value);
  if (v >= limit) throw new WmbusError('SMGW_WMBUS_ENCODE', `BCD field: ${value} does not fit ${digits} digit(s)`);
  for (let i = 0; i < length; i++) {
    const two = v % 100;
    out[offset + i] = (Math.floor(two / 10) << 4) | (two % 10);
    v = (v - two) / 100;
  }
  if (value < 0) out[offset + length - 1] = ((out[offset + length - 1] as number) & 0x0f) | 0xf0;
}

// ---------------------------------------------------------------------------------------------
// 32-bit real (type H, IEEE 754 binary32, little-endian).

const realScratch = new DataView(new ArrayBuffer(4));

/** Reads a 32-bit real; NaN and infinities (not representable in JSON) become null. */
export function readReal32(bytes: Uint8Array, offset: number): number | null {
  for (let i = 0; i < 4; i++) realScratch.setUint8(i, bytes[offset + i] as number);
  const v = realScratch.getFloat32(0, true);
  return Number.isFinite(v) ? v : null;
}

export function writeReal32(out: Uint8Array, offset: number, value: number | null): void {
  realScratch.setFloat32(0, value === null ? Number.NaN : value, true);
  for (let i = 0; i < 4; i++) out[offset + i] = realScratch.getUint8(i);
}

// ---------------------------------------------------------------------------------------------
// Variable length data (DIF data field D): the first data byte LVAR says what follows
// (EN 13757-3 Table 5).

export type LvarKind = 'text' | 'bcd' | 'negative bcd' | 'binary';

/**
 * Kind and byte count of an LVAR byte, or null for the reserved codes (CA–CF, DA–DF, F7–FF),
 * whose length is unknown and after which no record boundary can be found.
 */
export function lvarLayout(lvar: number): { kind: LvarKind; length: number } | null {
  if (lvar <= 0xbf) return { kind: 'text', length: lvar };
  if (lvar <= 0xc9) return { kind: 'bcd', length: lvar - 0xc0 };
  if (lvar >= 0xd0 && lvar <= 0xd9) return { kind: 'negative bcd', length: lvar - 0xd0 };
  if (lvar >= 0xe0 && lvar <= 0xef) return { kind: 'binary', length: lvar - 0xe0 };
  if (lvar >= 0xf0 && lvar <= 0xf4) return { kind: 'binary', length: 4 * (lvar - 0xec) };
  if (lvar === 0xf5) return { kind: 'binary', length: 48 };
  if (lvar === 0xf6) return { kind: 'binary', length: 64 };
  return null;
}

/** Byte count after an LVAR byte, or -1 for reserved codes. Allocation-free twin of `lvarLayout`. */
export function lvarLength(lvar: number): number {
  if (lvar <= 0xbf) return lvar;
  if (lvar <= 0xc9) return lvar - 0xc0;
  if (lvar >= 0xd0 && lvar <= 0xd9) return lvar - 0xd0;
  if (lvar >= 0xe0 && lvar <= 0xef) return lvar - 0xe0;
  if (lvar >= 0xf0 && lvar <= 0xf4) return 4 * (lvar - 0xec);
  if (lvar === 0xf5) return 48;
  if (lvar === 0xf6) return 64;
  return -1;
}

/** LVAR text: 8-bit characters sent last character first (EN 13757-3 Annex A, type "string"). */
export function readReversedText(bytes: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = offset + length - 1; i >= offset; i--) s += String.fromCharCode(bytes[i] as number);
  return s;
}

/** The inverse of `readReversedText`; characters above U+00FF cannot be sent. */
export function writeReversedText(out: Uint8Array, offset: number, text: string): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new WmbusError('SMGW_WMBUS_ENCODE', `text: character U+${c.toString(16)} is not 8-bit`);
    out[offset + n - 1 - i] = c;
  }
}

// ---------------------------------------------------------------------------------------------
// Date and time (EN 13757-3 Annex A). Meters send local time without a zone, so the ISO-8601
// strings carry none. Invalid or unspecified fields (IV bit, day 0, month 0 or 15, all ones)
// give null.

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

function daysInMonth(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return (DAYS_IN_MONTH[month] as number) + (leap ? 1 : 0);
}

function validDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * The 7-bit year of types F, G and I spread over two bytes, read as 2000–2080 or 1981–1999 (the
 * usual M-Bus reading; wmbusmeters and libmbus do the same). Type F's "hundred year" bits are not
 * used: meters in the field set them inconsistently (OMS Annex N sends 1 for 2008, others send 2
 * for 2026), while the two-digit year is always right. The encoder still writes them as
 * EN 13757-3 defines (1900 + 100 × hundred year + year).
 */
function fullYear(year: number): number {
  return year <= 80 ? 2000 + year : 1900 + year;
}

/** Type G (16 bit): date. */
export function readDateG(bytes: Uint8Array, offset: number): string | null {
  const b0 = bytes[offset] as number;
  const b1 = bytes[offset + 1] as number;
  const day = b0 & 0x1f;
  const month = b1 & 0x0f;
  const y = ((b0 & 0xe0) >> 5) | ((b1 & 0xf0) >> 1);
  if (y > 99) return null;
  const year = fullYear(y);
  if (!validDate(year, month, day)) return null;
  return `${year}-${PAD2[month]}-${PAD2[day]}`;
}

/** Type F (32 bit): date and time to the minute. Bit 7 of the first byte: time invalid. */
export function readDateTimeF(bytes: Uint8Array, offset: number): string | null {
  const b0 = bytes[offset] as number;
  const b1 = bytes[offset + 1] as number;
  const b2 = bytes[offset + 2] as number;
  const b3 = bytes[offset + 3] as number;
  if (b0 & 0x80) return null;
  const minute = b0 & 0x3f;
  const hour = b1 & 0x1f;
  const day = b2 & 0x1f;
  const month = b3 & 0x0f;
  const y = ((b2 & 0xe0) >> 5) | ((b3 & 0xf0) >> 1);
  if (minute > 59 || hour > 23 || y > 99) return null;
  const year = fullYear(y);
  if (!validDate(year, month, day)) return null;
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}`;
}

/** Type I (48 bit): date and time to the second. Bit 7 of the second byte: time invalid. */
export function readDateTimeI(bytes: Uint8Array, offset: number): string | null {
  const b0 = bytes[offset] as number;
  const b1 = bytes[offset + 1] as number;
  const b2 = bytes[offset + 2] as number;
  const b3 = bytes[offset + 3] as number;
  const b4 = bytes[offset + 4] as number;
  if (b1 & 0x80) return null;
  const second = b0 & 0x3f;
  const minute = b1 & 0x3f;
  const hour = b2 & 0x1f;
  const day = b3 & 0x1f;
  const month = b4 & 0x0f;
  const y = ((b3 & 0xe0) >> 5) | ((b4 & 0xf0) >> 1);
  if (second > 59 || minute > 59 || hour > 23 || y > 99) return null;
  const year = fullYear(y);
  if (!validDate(year, month, day)) return null;
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}`;
}

/** Type J (24 bit): time of day. */
export function readTimeJ(bytes: Uint8Array, offset: number): string | null {
  const second = (bytes[offset] as number) & 0x3f;
  const minute = (bytes[offset + 1] as number) & 0x3f;
  const hour = (bytes[offset + 2] as number) & 0x1f;
  if (second > 59 || minute > 59 || hour > 23) return null;
  return `${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})$/;

/** Two-digit year and EN 13757-3 hundred-year field for the years `fullYear` can read back. */
function encodeYear(year: number): { y: number; hundred: number } {
  if (year >= 2000 && year <= 2080) return { y: year - 2000, hundred: 1 };
  if (year >= 1981 && year <= 1999) return { y: year - 1900, hundred: 0 };
  throw new WmbusError('SMGW_WMBUS_ENCODE', `date: year ${year} cannot be sent (1981–2080)`);
}

function badDate(text: string, type: string): WmbusError {
  return new WmbusError('SMGW_WMBUS_ENCODE', `date: ${JSON.stringify(text)} is not a valid ${type} value`);
}

/** Type G from 'YYYY-MM-DD'; null writes FFFF (unspecified). */
export function writeDateG(out: Uint8Array, offset: number, text: string | null): void {
  if (text === null) {
    out[offset] = 0xff;
    out[offset + 1] = 0xff;
    return;
  }
  const m = DATE_RE.exec(text);
  if (!m) throw badDate(text, 'type G (YYYY-MM-DD)');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(year, month, day)) throw badDate(text, 'type G');
  const { y } = encodeYear(year);
  out[offset] = day | ((y & 0x07) << 5);
  out[offset + 1] = month | ((y >> 3) << 4);
}

/** Type F from 'YYYY-MM-DDTHH:MM' (seconds, if given, must be 00); null sets the invalid bit. */
export function writeDateTimeF(out: Uint8Array, offset: number, text: string | null): void {
  if (text === null) {
    out[offset] = 0x80;
    out[offset + 1] = 0;
    out[offset + 2] = 0;
    out[offset + 3] = 0;
    return;
  }
  const m = DATETIME_RE.exec(text);
  if (!m || (m[6] !== undefined && m[6] !== '00')) throw badDate(text, 'type F (YYYY-MM-DDTHH:MM)');
  const [year, month, day, hour, minute] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  if (!validDate(year, month, day) || hour > 23 || minute > 59) throw badDate(text, 'type F');
  const { y, hundred } = encodeYear(year);
  out[offset] = minute;
  out[offset + 1] = hour | (hundred << 5);
  out[offset + 2] = day | ((y & 0x07) << 5);
  out[offset + 3] = month | ((y >> 3) << 4);
}

/** Type I from 'YYYY-MM-DDTHH:MM:SS'; null sets the invalid bit. Week and weekday are sent as 0. */
export function writeDateTimeI(out: Uint8Array, offset: number, text: string | null): void {
  out.fill(0, offset, offset + 6);
  if (text === null) {
    out[offset + 1] = 0x80;
    return;
  }
  const m = DATETIME_RE.exec(text);
  if (!m || m[6] === undefined) throw badDate(text, 'type I (YYYY-MM-DDTHH:MM:SS)');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) throw badDate(text, 'type I');
  const { y } = encodeYear(year);
  out[offset] = second;
  out[offset + 1] = minute;
  out[offset + 2] = hour;
  out[offset + 3] = day | ((y & 0x07) << 5);
  out[offset + 4] = month | ((y >> 3) << 4);
}

/** Type J from 'HH:MM:SS'; null writes FFFFFF (invalid). */
export function writeTimeJ(out: Uint8Array, offset: number, text: string | null): void {
  if (text === null) {
    out.fill(0xff, offset, offset + 3);
    return;
  }
  const m = TIME_RE.exec(text);
  if (!m) throw badDate(text, 'type J (HH:MM:SS)');
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (hour > 23 || minute > 59 || second > 59) throw badDate(text, 'type J');
  out[offset] = second;
  out[offset + 1] = minute;
  out[offset + 2] = hour;
}

// ---------------------------------------------------------------------------------------------
// Compact profiles (EN 13757-3:2018 Annex F; records with VIFE 13, 1E or 1F): a series of values
// of one quantity in one variable-length record. The data starts with a two-byte header:
//
//   spacing control  bits 7–6  increment mode: 00 absolute values (signed, type B), 01 increments
//                              (unsigned, type C, every difference ≥ 0), 10 decrements (unsigned,
//                              every difference ≤ 0, sent as its magnitude), 11 signed differences
//                              (type B); a difference is the younger value minus the older one
//                    bits 5–4  spacing unit: seconds, minutes, hours, days
//                    bits 3–0  data field code (Table 4) of every element
//   spacing value    1–250 units between two elements; 254 with the unit days, hours or minutes:
//                    1, 3 or 6 months (calendar months)
//
// then the elements, all of the same size. An element the meter has no value for carries the
// "illegal" code of its type: type B the most negative number (80, 0080, …), type C all ones,
// BCD all F. The standard's text is not public; this follows the quotes and examples of Annex F
// and OMS Vol.2 Annex G that open decoders reproduce (exmbus, wmbusmeters, the Kamstrup
// TTN parser), which agree on all of the above. Left out, because those sources do not pin their
// meaning down: spacing value 0 (an array without time spacing), 253 (half months), the reserved
// values 251, 252, 255 and element codes without a fixed integer or BCD size (0, 5, 8, D, F).

export type ProfileMode = 'absolute' | 'increments' | 'decrements' | 'differences';
export type SpacingUnit = 'second' | 'minute' | 'hour' | 'day';
/** The time between two elements: a count of units, or calendar months. */
export type ProfileSpacing = { readonly unit: SpacingUnit; readonly count: number } | { readonly months: 1 | 3 | 6 };

export interface ProfileHeader {
  readonly mode: ProfileMode;
  /** Data field code of every element (integer 1–4, 6, 7 or BCD 9–C, E). */
  readonly elementDataField: number;
  /** Bytes per element. */
  readonly elementLength: number;
  readonly spacing: ProfileSpacing;
}

const PROFILE_MODES: readonly ProfileMode[] = ['absolute', 'increments', 'decrements', 'differences'];
const SPACING_UNITS: readonly SpacingUnit[] = ['second', 'minute', 'hour', 'day'];
const SPACING_SECONDS: Readonly<Record<SpacingUnit, number>> = { second: 1, minute: 60, hour: 3600, day: 86400 };
/** Spacing value 254: months per spacing by unit bits (seconds: reserved). */
const MONTHS_BY_UNIT: readonly (0 | 1 | 3 | 6)[] = [0, 6, 3, 1];
const SPACING_MONTHS = 254;
const MAX_SPACING_COUNT = 250;

function isProfileElementField(dataField: number): boolean {
  return isIntegerField(dataField) || isBcdField(dataField);
}

/** The header of a compact profile, or null for the codes this decoder leaves undecoded (above). */
export function readProfileHeader(control: number, spacingValue: number): ProfileHeader | null {
  const elementDataField = control & 0x0f;
  if (!isProfileElementField(elementDataField)) return null;
  const unitBits = (control >> 4) & 0x03;
  let spacing: ProfileSpacing;
  if (spacingValue >= 1 && spacingValue <= MAX_SPACING_COUNT) {
    spacing = { unit: SPACING_UNITS[unitBits] as SpacingUnit, count: spacingValue };
  } else if (spacingValue === SPACING_MONTHS && unitBits !== 0) {
    spacing = { months: MONTHS_BY_UNIT[unitBits] as 1 | 3 | 6 };
  } else {
    return null;
  }
  return {
    mode: PROFILE_MODES[control >> 6] as ProfileMode,
    elementDataField,
    elementLength: DATA_FIELD_LENGTH[elementDataField] as number,
    spacing,
  };
}

/** The two header bytes (spacing control, spacing value); throws SMGW_WMBUS_ENCODE for what has no code. */
export function profileHeaderBytes(h: Omit<ProfileHeader, 'elementLength'>): [number, number] {
  const mode = PROFILE_MODES.indexOf(h.mode);
  if (mode < 0) throw new WmbusError('SMGW_WMBUS_ENCODE', `compact profile: mode ${JSON.stringify(h.mode)} unknown`);
  if (!Number.isInteger(h.elementDataField) || !isProfileElementField(h.elementDataField)) {
    throw new WmbusError(
      'SMGW_WMBUS_ENCODE',
      `compact profile: element data field ${h.elementDataField} is not an integer or BCD code`,
    );
  }
  const s = (h.spacing ?? {}) as Partial<{ unit: SpacingUnit; count: number; months: number }>;
  let unitBits: number;
  let value: number;
  if (s.months !== undefined) {
    unitBits = MONTHS_BY_UNIT.indexOf(s.months as 1 | 3 | 6);
    if (s.months === 0 || unitBits < 0) {
      throw new WmbusError('SMGW_WMBUS_ENCODE', `compact profile: a spacing of ${s.months} months has no code`);
    }
    value = SPACING_MONTHS;
  } else {
    unitBits = SPACING_UNITS.indexOf(s.unit as SpacingUnit);
    const count = s.count as number;
    if (unitBits < 0 || !Number.isInteger(count) || count < 1 || count > MAX_SPACING_COUNT) {
      throw new WmbusError(
        'SMGW_WMBUS_ENCODE',
        `compact profile: spacing ${JSON.stringify(h.spacing)} is not 1..${MAX_SPACING_COUNT} seconds, minutes, hours or days`,
      );
    }
    value = count;
  }
  return [(mode << 6) | (unitBits << 4) | h.elementDataField, value];
}

/** True for the modes whose elements are unsigned magnitudes (type C). */
function unsignedElements(mode: ProfileMode): boolean {
  return mode === 'increments' || mode === 'decrements';
}

/** One element's raw number, or null for the illegal code (no value) and invalid BCD. */
export function readProfileElement(bytes: Uint8Array, offset: number, h: ProfileHeader): number | null {
  const n = h.elementLength;
  if (isBcdField(h.elementDataField)) return readBcd(bytes, offset, n);
  const last = offset + n - 1;
  if (unsignedElements(h.mode)) {
    let allOnes = true;
    for (let i = offset; i <= last && allOnes; i++) allOnes = bytes[i] === 0xff;
    return allOnes ? null : readInt(bytes, offset, n, false);
  }
  let mostNegative = bytes[last] === 0x80;
  for (let i = offset; i < last && mostNegative; i++) mostNegative = bytes[i] === 0;
  return mostNegative ? null : readInt(bytes, offset, n, true);
}

/**
 * Writes one element; null writes the illegal code. A number that would read back as the illegal
 * code, or a negative magnitude, throws SMGW_WMBUS_ENCODE.
 */
export function writeProfileElement(out: Uint8Array, offset: number, h: ProfileHeader, raw: number | null): void {
  const n = h.elementLength;
  const unsigned = unsignedElements(h.mode);
  if (raw !== null && unsigned && raw < 0) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', `compact profile: ${h.mode} element ${raw} is negative`);
  }
  if (isBcdField(h.elementDataField)) {
    writeBcd(out, offset, n, raw);
    return;
  }
  if (raw === null) {
    out.fill(unsigned ? 0xff : 0, offset, offset + n);
    if (!unsigned) out[offset + n - 1] = 0x80;
    return;
  }
  const illegal = unsigned ? 2 ** (8 * n) - 1 : -(2 ** (8 * n - 1));
  if (raw === illegal) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', `compact profile: element ${raw} is the code for "no value"`);
  }
  writeInt(out, offset, n, raw, !unsigned);
}

const DATE_LENGTH = 10; // YYYY-MM-DD
const MINUTE_LENGTH = 16; // YYYY-MM-DDTHH:MM
const SECOND_LENGTH = 19; // YYYY-MM-DDTHH:MM:SS

/** Digits of `s` at [from, from + count) as a number, or -1 when one is no digit. */
function digitsAt(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

/**
 * The time `steps` spacings after `base` (before it for negative steps). `base` is a date or
 * date-time as the readers above write them; the result has the same form (seconds added when
 * the spacing needs them). Months are calendar months counted from the base: the day stays,
 * shortened to the month's length, and the last day of a month stays the last day (OMS Vol.2
 * Annex G: 2008-05-31 back by one month is 2008-04-30, by two 2008-03-31). Null when `base` is
 * no date (or time only) or a date without a time cannot take a spacing shorter than a day.
 */
export function stepTime(base: string, spacing: ProfileSpacing, steps: number): string | null {
  const len = base.length;
  if (len !== DATE_LENGTH && len !== MINUTE_LENGTH && len !== SECOND_LENGTH) return null;
  if (base[4] !== '-' || base[7] !== '-' || (len > DATE_LENGTH && (base[10] !== 'T' || base[13] !== ':'))) return null;
  if (len === SECOND_LENGTH && base[16] !== ':') return null;
  const year = digitsAt(base, 0, 4);
  const month = digitsAt(base, 5, 2);
  const day = digitsAt(base, 8, 2);
  const hour = len > DATE_LENGTH ? digitsAt(base, 11, 2) : 0;
  const minute = len > DATE_LENGTH ? digitsAt(base, 14, 2) : 0;
  const second = len === SECOND_LENGTH ? digitsAt(base, 17, 2) : 0;
  if (year < 0 || !validDate(year, month, day) || hour < 0 || hour > 23) return null;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const time = len === DATE_LENGTH ? '' : base.slice(DATE_LENGTH);

  if ('months' in spacing) {
    const total = year * 12 + (month - 1) + steps * spacing.months;
    const y = Math.floor(total / 12);
    const m = total - 12 * y + 1;
    const last = daysInMonth(y, m);
    const d = day === daysInMonth(year, month) ? last : Math.min(day, last);
    if (y < 0 || y > 9999) return null;
    return `${pad4(y)}-${PAD2[m]}-${PAD2[d]}${time}`;
  }
  const stepSeconds = spacing.count * SPACING_SECONDS[spacing.unit];
  if (len === DATE_LENGTH && stepSeconds % 86400 !== 0) return null;
  const t = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  t.setUTCFullYear(year, month - 1, day); // Date.UTC reads years below 100 as 19xx
  t.setTime(t.getTime() + steps * stepSeconds * 1000);
  const y = t.getUTCFullYear();
  if (!Number.isFinite(y) || y < 0 || y > 9999) return null;
  const date = `${pad4(y)}-${PAD2[t.getUTCMonth() + 1]}-${PAD2[t.getUTCDate()]}`;
  if (len === DATE_LENGTH) return date;
  const hm = `${date}T${PAD2[t.getUTCHours()]}:${PAD2[t.getUTCMinutes()]}`;
  return len === SECOND_LENGTH || stepSeconds % 60 !== 0 ? `${hm}:${PAD2[t.getUTCSeconds()]}` : hm;
}
