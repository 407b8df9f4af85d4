/**
 * EN 13757-3 application layer: the walk over data records (DIF, DIFEs, VIF, VIFEs, data).
 *
 * A data record is a data information block (DIF and up to 10 DIFEs: data field, function,
 * storage number, tariff, subunit; EN 13757-3 §6.3), a value information block (VIF and up to 10
 * VIFEs, §6.4; meanings in vif-tables.ts) and the data (types in data-types.ts). Between records
 * the idle filler 2F may appear; DIF 0F / 1F end the records and start manufacturer-specific data
 * (1F: more records follow in the next telegram).
 *
 * Every length comes from the input and is checked against the end of the payload before it is
 * used; DIFE and VIFE chains are bounded, so the walk is linear in the payload length.
 */

import {
  DATA_FIELD_LENGTH,
  DATA_FIELD_NAME,
  hexOf,
  lvarLayout,
  lvarLength,
  type ProfileSpacing,
  readBcd,
  readDateG,
  readDateTimeF,
  readDateTimeI,
  readInt,
  readProfileElement,
  readProfileHeader,
  readReal32,
  readReversedText,
  readTimeJ,
  readUInt64Decimal,
  stepTime,
} from './data-types.js';
import { truncated, WmbusError } from './errors.js';
import type { Explain, ExplainEntry } from './explain.js';
import { describeVib, type ProfileVib, type VibMeaning } from './vif-tables.js';

export type RecordFunction = 'instantaneous' | 'maximum' | 'minimum' | 'error';

/** One decoded data record. The JSON fields are the CLI contract (issue 2, §4). */
export interface DataRecord {
  /** DIF and DIFEs as on the wire, upper-case hex. */
  readonly dif: string;
  /** VIF and VIFEs as on the wire, upper-case hex (a plain-text VIF's text excluded). */
  readonly vif: string;
  readonly storage: number;
  readonly tariff: number;
  readonly subunit: number;
  readonly function: RecordFunction;
  /** What is measured: 'energy', 'volume', 'flow temperature', 'date', 'error flags', ... */
  readonly quantity: string;
  /** Contract unit: Wh, J, m3, kg, W, J/h, m3/h, kg/h, °C, K, bar, s, V, A, HCA, date, datetime, or ''. */
  readonly unit: string;
  /** Value in base units with the VIF scale applied; dates as ISO-8601; raw bytes as hex; null if invalid. */
  readonly value: number | string | null;
  /**
   * Set on the records read out of a compact profile (EN 13757-3 Annex F): the element's place in
   * the series (1 = next to the base). They follow the profile record, which keeps its raw hex,
   * and carry its `dif` and `vif` (the bytes they were read from); not part of the CLI contract.
   * The encoder does not send them again: the profile record carries them.
   */
  readonly profileElement?: number;
}

export interface RecordsResult {
  readonly records: DataRecord[];
  /** Bytes after a manufacturer-specific DIF 0F/1F, for drivers; null when there is none. */
  readonly manufacturerData: Uint8Array | null;
  /** DIF 1F: more records follow in the next telegram. */
  readonly moreRecordsFollow: boolean;
  /**
   * The record format: the DIB+VIB bytes of every data record in order (no idle fillers, no
   * manufacturer data), from which compact frames (CI 79) are reassembled. EN 13757-3 Annex G.
   */
  readonly format: Uint8Array;
  /**
   * Set when decoding stopped before the end: a record ran past the end of the payload or could
   * not be delimited (DIFE/VIFE chain too long, reserved special function or LVAR code). The
   * records before it are complete and kept, as wmbusmeters keeps them; real meters do send a
   * stray CRC or filler byte after the last record. `decodeRecords(p, e, { strict: true })`
   * throws the error instead.
   */
  readonly undecoded?: { readonly offset: number; readonly error: WmbusError };
}

export interface DecodeRecordsOptions {
  /** Throw on the first record that cannot be decoded instead of returning the records before it. */
  readonly strict?: boolean;
}

/** DIF function field (bits 4–5), EN 13757-3 Table 7. */
const FUNCTIONS: readonly RecordFunction[] = ['instantaneous', 'maximum', 'minimum', 'error'];
/** EN 13757-3 §6.3.3 and §6.4.2: at most 10 DIFEs and 10 VIFEs per record. */
export const MAX_DIFES = 10;
export const MAX_VIFES = 10;

export const DIF_IDLE_FILLER = 0x2f;
export const DIF_MANUFACTURER_DATA = 0x0f;
export const DIF_MORE_RECORDS_FOLLOW = 0x1f;

/**
 * Where the parts of one record header lie. One mutable instance is reused by the walk (no
 * allocation per record); `readHeader` fills it.
 */
export interface RecordHeader {
  dataField: number;
  functionIndex: number;
  storage: number;
  tariff: number;
  subunit: number;
  /** Offset of the VIF (= end of the DIB). */
  vifStart: number;
  /** End of VIF and VIFEs; for a plain-text VIF the length byte is here. */
  vifEnd: number;
  /** For a plain-text VIF: offset and length of the text, else -1 / 0. */
  textStart: number;
  textLength: number;
  /** End of the whole header (where the data starts). */
  headerEnd: number;
}

export function newRecordHeader(): RecordHeader {
  return {
    dataField: 0,
    functionIndex: 0,
    storage: 0,
    tariff: 0,
    subunit: 0,
    vifStart: 0,
    vifEnd: 0,
    textStart: -1,
    textLength: 0,
    headerEnd: 0,
  };
}

function malformed(message: string, offset: number): WmbusError {
  return new WmbusError('SMGW_WMBUS_MALFORMED', `records: ${message} at offset ${offset}`, { detail: { offset } });
}

/**
 * Reads the DIB and VIB of the record whose DIF is at `pos` (not a special function DIF) into
 * `h`. Storage numbers can reach 41 bits: arithmetic instead of 32-bit shifts.
 */
export function readHeader(bytes: Uint8Array, pos: number, end: number, h: RecordHeader): void {
  const start = pos;
  const dif = bytes[pos++] as number;
  h.dataField = dif & 0x0f;
  h.functionIndex = (dif >> 4) & 0x03;
  let storage = (dif >> 6) & 0x01;
  let tariff = 0;
  let subunit = 0;
  let more = dif & 0x80;
  let n = 0;
  while (more) {
    if (n === MAX_DIFES) throw malformed(`more than ${MAX_DIFES} DIFEs`, start);
    if (pos >= end) throw truncated('records', 1, pos, 0);
    const dife = bytes[pos++] as number;
    storage += (dife & 0x0f) * 2 ** (1 + 4 * n);
    tariff += ((dife >> 4) & 0x03) * 2 ** (2 * n);
    subunit += ((dife >> 6) & 0x01) * 2 ** n;
    more = dife & 0x80;
    n++;
  }
  h.storage = storage;
  h.tariff = tariff;
  h.subunit = subunit;

  if (pos >= end) throw truncated('records', 1, pos, 0);
  h.vifStart = pos;
  const vif = bytes[pos++] as number;
  more = vif & 0x80;
  n = 0;
  while (more) {
    // the true VIF after FB/FD (and FD FD) plus up to 10 combinable VIFEs
    if (n === MAX_VIFES + 2) throw malformed(`more than ${MAX_VIFES} VIFEs`, h.vifStart);
    if (pos >= end) throw truncated('records', 1, pos, 0);
    more = (bytes[pos++] as number) & 0x80;
    n++;
  }
  h.vifEnd = pos;
  // Plain-text VIF (7C/FC): the length and the text follow the whole VIB (EN 13757-3 Annex C.2).
  if ((vif & 0x7f) === 0x7c) {
    if (pos >= end) throw truncated('records', 1, pos, 0);
    const len = bytes[pos++] as number;
    if (pos + len > end) throw truncated('records', len, pos, end - pos);
    h.textStart = pos;
    h.textLength = len;
    pos += len;
  } else {
    h.textStart = -1;
    h.textLength = 0;
  }
  h.headerEnd = pos;
}

/**
 * Length of the data that follows a header with data field `dataField` at `pos`, including the
 * LVAR byte of variable-length data. Throws when it passes `end` or the LVAR code is reserved.
 */
export function dataLength(bytes: Uint8Array, pos: number, end: number, dataField: number): number {
  let len = DATA_FIELD_LENGTH[dataField] as number;
  if (len === -1) {
    if (pos >= end) throw truncated('records', 1, pos, 0);
    const l = lvarLength(bytes[pos] as number);
    if (l < 0) {
      throw new WmbusError(
        'SMGW_WMBUS_UNSUPPORTED',
        `records: reserved LVAR ${hexOf(bytes, pos, pos + 1)} at offset ${pos}: length unknown`,
        { detail: { offset: pos } },
      );
    }
    len = 1 + l;
  } else if (len < 0) {
    throw malformed(`special function DIF ${hexOf(bytes, pos - 1, pos)} inside a record`, pos);
  }
  if (pos + len > end) throw truncated('records', len, pos, end - pos);
  return len;
}

/** A VIB's hex (the record's `vif`) and meaning. */
interface KnownVib {
  readonly hex: string;
  readonly meaning: VibMeaning;
}

/**
 * Meters repeat the same few DIBs and VIBs in every telegram: remember their hex and meaning.
 * Up to 4 bytes (nearly all) they are keyed by their bytes as a number, longer ones and plain-text
 * VIBs by their hex. Each cache is cleared when it reaches its bound.
 */
const CACHE_LIMIT = 4096;
const shortVibs = new Map<number, KnownVib>();
const longVibs = new Map<string, KnownVib>();
const shortDibs = new Map<number, string>();

/** The bytes [start, end) (at most 4) as one number, the length in the high part. */
function shortKey(bytes: Uint8Array, start: number, end: number): number {
  let packed = 0;
  for (let i = start; i < end; i++) packed = packed * 256 + (bytes[i] as number);
  return (end - start) * 0x1_0000_0000 + packed;
}

function dibHexOf(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 4) return hexOf(bytes, start, end);
  const key = shortKey(bytes, start, end);
  let hex = shortDibs.get(key);
  if (hex === undefined) {
    hex = hexOf(bytes, start, end);
    if (shortDibs.size >= CACHE_LIMIT) shortDibs.clear();
    shortDibs.set(key, hex);
  }
  return hex;
}

function vibOf(bytes: Uint8Array, h: RecordHeader): KnownVib {
  if (h.textStart < 0 && h.vifEnd - h.vifStart <= 4) {
    const key = shortKey(bytes, h.vifStart, h.vifEnd);
    let known = shortVibs.get(key);
    if (known === undefined) {
      known = { hex: hexOf(bytes, h.vifStart, h.vifEnd), meaning: describeVib(bytes, h.vifStart, h.vifEnd, null) };
      if (shortVibs.size >= CACHE_LIMIT) shortVibs.clear();
      shortVibs.set(key, known);
    }
    return known;
  }
  const hex = hexOf(bytes, h.vifStart, h.vifEnd);
  const text = h.textStart >= 0 ? readReversedText(bytes, h.textStart, h.textLength) : null;
  const key = text === null ? hex : `${hex}:${text}`;
  let known = longVibs.get(key);
  if (known === undefined) {
    known = { hex, meaning: describeVib(bytes, h.vifStart, h.vifEnd, text) };
    if (longVibs.size >= CACHE_LIMIT) longVibs.clear();
    longVibs.set(key, known);
  }
  return known;
}

const scratch = newRecordHeader();
/** Reused between calls; the result gets its own copy (`slice`). */
let formatScratch = new Uint8Array(256);

/**
 * Decodes the data records of an application-layer payload (after the TPL header, decrypted,
 * including any leading 2F2F). A record that cannot be decoded ends the walk: SMGW_WMBUS_TRUNCATED
 * when it runs past the end, SMGW_WMBUS_MALFORMED for DIFE/VIFE chains that are too long or
 * reserved special functions, SMGW_WMBUS_UNSUPPORTED for reserved LVAR codes. That error is
 * returned in `undecoded` with the records before it, or thrown with `{ strict: true }`.
 */
export function decodeRecords(payload: Uint8Array, explain?: Explain, options?: DecodeRecordsOptions): RecordsResult {
  const end = payload.length;
  const records: DataRecord[] = [];
  if (formatScratch.length < end) formatScratch = new Uint8Array(Math.max(end, 2 * formatScratch.length));
  const format = formatScratch;
  let formatLength = 0;
  let manufacturerData: Uint8Array | null = null;
  let moreRecordsFollow = false;
  const h = scratch;
  let pos = 0;
  let undecoded: { offset: number; error: WmbusError } | undefined;
  /** Compact profiles met on the way: read once the walk has found their base records. */
  let profiles: PendingProfile[] | undefined;

  while (pos < end) {
    const dif = payload[pos] as number;
    if (dif === DIF_IDLE_FILLER) {
      explain?.push({ layer: 'apl', offset: pos, hex: '2F', text: 'idle filler' });
      pos++;
      continue;
    }
    if (dif === DIF_MANUFACTURER_DATA || dif === DIF_MORE_RECORDS_FOLLOW) {
      moreRecordsFollow = dif === DIF_MORE_RECORDS_FOLLOW;
      manufacturerData = payload.slice(pos + 1);
      if (explain) {
        explain.push({
          layer: 'apl',
          offset: pos,
          hex: hexOf(payload, pos, pos + 1),
          text: moreRecordsFollow
            ? 'DIF 1F: manufacturer-specific data follows, more records follow in the next telegram'
            : 'DIF 0F: manufacturer-specific data follows',
        });
        if (pos + 1 < end) {
          explain.push({
            layer: 'apl',
            offset: pos + 1,
            hex: hexOf(payload, pos + 1, end),
            text: `manufacturer-specific data (${end - pos - 1} bytes)`,
          });
        }
      }
      pos = end;
      break;
    }
    const start = pos;
    let len: number;
    try {
      if ((dif & 0x0f) === 0x0f) throw malformed(`reserved special function DIF ${hexOf(payload, pos, pos + 1)}`, pos);
      readHeader(payload, pos, end, h);
      len = dataLength(payload, h.headerEnd, end, h.dataField);
    } catch (e) {
      if (options?.strict || !(e instanceof WmbusError)) throw e;
      undecoded = { offset: start, error: e };
      explain?.push({
        layer: 'apl',
        offset: start,
        hex: hexOf(payload, start, end),
        text: `not decoded: ${e.message}`,
      });
      break;
    }
    const dataStart = h.headerEnd;
    const difHex = dibHexOf(payload, start, h.vifStart);
    const vib = vibOf(payload, h);
    const vifHex = vib.hex;
    const m = vib.meaning;

    let unit = m.unit;
    let value: number | string | null;
    const df = h.dataField;
    const kind = m.kind;
    if (kind === 'raw') {
      value =
        df === 0xd
          ? hexOf(payload, dataStart + 1, dataStart + len)
          : len > 0
            ? hexOf(payload, dataStart, dataStart + len)
            : null;
    } else if (kind === 'timepoint' && (df === 0x2 || df === 0x3 || df === 0x4 || df === 0x6)) {
      // the data type (G, J, F, I) follows from the integer data field's length
      if (len === 2) {
        value = readDateG(payload, dataStart);
        unit = 'date';
      } else if (len === 4) {
        value = readDateTimeF(payload, dataStart);
        unit = 'datetime';
      } else if (len === 6) {
        value = readDateTimeI(payload, dataStart);
        unit = 'datetime';
      } else {
        value = readTimeJ(payload, dataStart);
      }
    } else {
      value = readScaled(payload, dataStart, len, df, m);
    }

    for (let i = start; i < dataStart; i++) format[formatLength++] = payload[i] as number;
    records.push({
      dif: difHex,
      vif: vifHex,
      storage: h.storage,
      tariff: h.tariff,
      subunit: h.subunit,
      function: FUNCTIONS[h.functionIndex] as RecordFunction,
      quantity: m.quantity,
      unit,
      value,
    });
    if (explain) explainRecord(explain, payload, start, h, len, m, unit, value);
    if (kind === 'raw' && df === 0xd && m.profile !== undefined) {
      profiles ??= [];
      profiles.push({
        index: records.length - 1,
        dataStart,
        len,
        explainAt: (explain?.length ?? 0) - 1,
        vib: m.profile,
      });
    }
    pos = dataStart + len;
  }

  const result = {
    records: profiles ? expandProfiles(payload, records, profiles, explain) : records,
    manufacturerData,
    moreRecordsFollow,
    format: format.slice(0, formatLength),
  };
  return undecoded ? { ...result, undecoded } : result;
}

/** Reads numbers (and the strings LVAR can hold) and applies the VIB's scale. */
function readScaled(bytes: Uint8Array, pos: number, len: number, df: number, m: VibMeaning): number | string | null {
  let raw: number | null;
  switch (df) {
    case 0x0:
    case 0x8:
      return null;
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x4:
    case 0x6:
    case 0x7:
      raw = readInt(bytes, pos, len, m.kind === 'number');
      // Identifiers and counters beyond 2^53 as exact decimal strings; measurements stay numbers
      // (their lowest bits are lost, far below any meter's resolution).
      if (len === 8 && m.kind === 'unsigned' && raw > Number.MAX_SAFE_INTEGER) return readUInt64Decimal(bytes, pos);
      break;
    case 0x5:
      raw = readReal32(bytes, pos);
      break;
    case 0xd: {
      const lvar = bytes[pos] as number;
      const n = len - 1;
      if (lvar <= 0xbf) return readReversedText(bytes, pos + 1, n);
      if (lvar <= 0xc9) raw = n > 0 ? readBcd(bytes, pos + 1, n) : null;
      else if (lvar <= 0xd9) {
        const v = n > 0 ? readBcd(bytes, pos + 1, n) : null;
        raw = v === null ? null : v === 0 ? 0 : -v;
      } else if (n >= 1 && n <= 6) raw = readInt(bytes, pos + 1, n, false);
      else return n > 0 ? hexOf(bytes, pos + 1, pos + len) : null;
      break;
    }
    default:
      raw = readBcd(bytes, pos, len);
      break;
  }
  if (raw === null) return null;
  return scale(raw, m);
}

const POW10: readonly number[] = Array.from({ length: 40 }, (_, i) => 10 ** i);

/** The raw number a value in contract units stands for (the inverse of `scale`, up to rounding). */
export function unscale(value: number, m: { exponent: number; factor: number; offset: number }): number {
  let v = m.offset !== 0 ? value - m.offset : value;
  const e = m.exponent;
  if (e < 0) v *= POW10[-e] ?? 10 ** -e;
  else if (e > 0) v /= POW10[e] ?? 10 ** e;
  return m.factor === 1 ? v : v / m.factor;
}

/**
 * raw × factor × 10^exponent + offset. Dividing by an exact power of ten (instead of multiplying
 * by its inexact inverse) keeps results like 2850427 × 10^-2 = 28504.27 correctly rounded.
 */
export function scale(raw: number, m: { exponent: number; factor: number; offset: number }): number {
  let v = m.factor === 1 ? raw : raw * m.factor;
  const e = m.exponent;
  if (e > 0) v *= POW10[e] ?? 10 ** e;
  else if (e < 0) v /= POW10[-e] ?? 10 ** -e;
  if (m.offset !== 0) v += m.offset;
  return v === 0 ? 0 : v; // no -0 in the output
}

// ---------------------------------------------------------------------------------------------
// Compact profiles (EN 13757-3:2018 Annex F). A record whose VIB carries VIFE 13 (inverse compact
// profile), 1F (compact profile) or 1E (compact profile with register numbers) holds, in variable
// length data, a header (data-types.ts) and a series of elements. The series starts at a base:
// the base time is the date (and time) record with the profile's storage number, tariff and
// subunit; the base value is the record with those and the profile's function and VIB without the
// profile VIFE. Element k (1, 2, …) lies k spacings after the base time (before it for 13) and
// gets storage number base + k. Its value is the element itself in absolute mode; otherwise the
// value of element k-1 (the base value for k = 1) changed by the element's difference, and
// unknown once the base or an element is.
//
// These rules come from what open decoders agree on (exmbus for EN 13757-3 F.2.7/F.2.8, the
// wmbusmeters test of OMS Vol.2 Annex G Table G.6/G.7, the Kamstrup TTN parser, wmbusmeters'
// storage numbering); 1E is read like 1F, as an exmbus regression test of a Sontex frame expects
// and as the corpus telegrams that carry it (Sontex, WEH) bear out: their series rise from the base
// to the current reading. The profile record keeps its hex; a profile that does not fit these rules (see
// `readProfileHeader`, or an increment mode without a base value record) is only that hex.

interface PendingProfile {
  /** Index of the profile record in `records`. */
  readonly index: number;
  /** Offset of the LVAR byte and the data length including it. */
  readonly dataStart: number;
  readonly len: number;
  /** Index of the explain entry of the data (when explaining). */
  readonly explainAt: number;
  readonly vib: ProfileVib;
}

interface Expansion {
  readonly records: DataRecord[];
  readonly explain: ExplainEntry[];
}

/**
 * The records with those read out of each profile after the profile record (a new array; the
 * explain entry of each profile's data replaced by one per header and element). The bases are
 * looked up in the records as decoded, so one profile's elements never serve as another's base.
 */
function expandProfiles(
  bytes: Uint8Array,
  records: readonly DataRecord[],
  pending: readonly PendingProfile[],
  explain?: Explain,
): DataRecord[] {
  // The first date record and the first record of each VIB per storage number, tariff and
  // subunit (and function): one pass, so that many profiles cost no more than one each.
  const times = new Map<string, DataRecord>();
  const values = new Map<string, DataRecord>();
  for (const x of records) {
    const at = `${x.storage}/${x.tariff}/${x.subunit}`;
    if ((x.quantity === 'date' || x.quantity === 'date and time') && !times.has(at)) times.set(at, x);
    const key = `${at}/${x.function}/${x.vif}`;
    if (!values.has(key)) values.set(key, x);
  }
  const out: DataRecord[] = [];
  const entries: ExplainEntry[] = [];
  const firstEntry = (pending[0] as PendingProfile).explainAt;
  let r = 0;
  let e = firstEntry;
  for (const p of pending) {
    while (r <= p.index) out.push(records[r++] as DataRecord);
    const record = records[p.index] as DataRecord;
    const at = `${record.storage}/${record.tariff}/${record.subunit}`;
    const bases = { time: times.get(at), value: values.get(`${at}/${record.function}/${p.vib.baseVif}`) };
    const done = expandProfile(bytes, record, p, bases, explain !== undefined);
    if (typeof done !== 'string') for (const x of done.records) out.push(x);
    if (!explain) continue;
    while (e < p.explainAt) entries.push(explain[e++] as ExplainEntry);
    const entry = explain[e++] as ExplainEntry;
    if (typeof done === 'string') entries.push({ ...entry, text: `${entry.text}; compact profile not read: ${done}` });
    else for (const x of done.explain) entries.push(x);
  }
  while (r < records.length) out.push(records[r++] as DataRecord);
  if (explain) {
    while (e < explain.length) entries.push(explain[e++] as ExplainEntry);
    explain.length = firstEntry;
    for (const x of entries) explain.push(x);
  }
  return out;
}

function spacingText(s: ProfileSpacing): string {
  if ('months' in s) return s.months === 1 ? '1 month' : `${s.months} months`;
  return `${s.count} ${s.unit}${s.count === 1 ? '' : 's'}`;
}

/** The elements of one profile as records, or why it stays hex. */
function expandProfile(
  bytes: Uint8Array,
  r: DataRecord,
  p: PendingProfile,
  bases: { readonly time: DataRecord | undefined; readonly value: DataRecord | undefined },
  explaining: boolean,
): Expansion | string {
  const profile = p.vib;
  const c = p.dataStart + 1; // after the LVAR byte
  const end = p.dataStart + p.len;
  if (end - c < 2) return 'no header';
  const header = readProfileHeader(bytes[c] as number, bytes[c + 1] as number);
  if (!header) return `header ${hexOf(bytes, c, c + 2)} not understood`;
  const count = (end - c - 2) / header.elementLength;
  if (count < 1 || !Number.isInteger(count)) return `${end - c - 2} bytes are no whole number of elements`;

  const baseTime = bases.time;
  const baseValue = bases.value;
  const element = profile.element;
  let previous: number | null = null;
  if (header.mode !== 'absolute') {
    if (baseValue === undefined) return `no base value record (VIF ${profile.baseVif}, storage ${r.storage})`;
    if (typeof baseValue.value === 'string') return 'the base value is no number';
    previous = baseValue.value === null ? null : rawOf(baseValue.value, element);
  }
  const time = typeof baseTime?.value === 'string' ? baseTime.value : null;
  const withTimes = time !== null && stepTime(time, header.spacing, 1) !== null;

  const out: DataRecord[] = [];
  const entries: ExplainEntry[] = [];
  if (explaining) {
    entries.push({
      layer: 'apl',
      offset: p.dataStart,
      hex: hexOf(bytes, p.dataStart, c + 2),
      text: `LVAR ${p.len - 1} bytes: compact profile of ${count} elements (${header.mode}, ${DATA_FIELD_NAME[header.elementDataField]}), one every ${spacingText(header.spacing)} ${profile.inverse ? 'back' : 'on'} from ${time ?? 'an unknown base time'}${previous === null ? '' : `, base value ${scale(previous, element)}${element.unit ? ` ${element.unit}` : ''}`}`,
    });
  }
  const step = profile.inverse ? -1 : 1;
  for (let k = 1, o = c + 2; k <= count; k++, o += header.elementLength) {
    const e = readProfileElement(bytes, o, header);
    let raw: number | null;
    if (header.mode === 'absolute') raw = e;
    else if (previous === null || e === null) raw = null;
    else raw = previous + step * (header.mode === 'decrements' ? -e : e);
    if (header.mode !== 'absolute') previous = raw;
    const value = raw === null ? null : scale(raw, element);
    const storage = r.storage + k;
    const at = withTimes ? stepTime(time as string, header.spacing, step * k) : null;
    if (withTimes) {
      out.push({
        dif: r.dif,
        vif: r.vif,
        storage,
        tariff: r.tariff,
        subunit: r.subunit,
        function: 'instantaneous',
        quantity: (baseTime as DataRecord).quantity,
        unit: (time as string).length === 10 ? 'date' : 'datetime',
        value: at,
        profileElement: k,
      });
    }
    out.push({
      dif: r.dif,
      vif: r.vif,
      storage,
      tariff: r.tariff,
      subunit: r.subunit,
      function: r.function,
      quantity: element.quantity,
      unit: element.unit,
      value,
      profileElement: k,
    });
    if (explaining) {
      entries.push({
        layer: 'apl',
        offset: o,
        hex: hexOf(bytes, o, o + header.elementLength),
        text: `element ${k} (storage ${storage}${at === null ? '' : `, ${at}`}): ${e === null ? 'no value' : header.mode === 'absolute' ? e : `${header.mode === 'differences' ? 'difference' : header.mode.slice(0, -1)} ${e}`}; ${element.quantity} = ${value === null ? 'invalid/none' : value}${value !== null && element.unit ? ` ${element.unit}` : ''}`,
      });
    }
  }
  return { records: out, explain: entries };
}

/**
 * The raw integer behind a decoded base value (so that sums stay exact: 1013 - 258, not
 * 1.013 - 0.258); a value that is no integer multiple of the resolution (a real) stays as it is.
 */
function rawOf(value: number, m: VibMeaning): number {
  const raw = unscale(value, m);
  const rounded = Math.round(raw);
  return Math.abs(raw - rounded) <= 1e-6 * Math.max(1, Math.abs(rounded)) ? rounded : raw;
}

function explainRecord(
  explain: Explain,
  bytes: Uint8Array,
  start: number,
  h: RecordHeader,
  len: number,
  m: VibMeaning,
  unit: string,
  value: number | string | null,
): void {
  const dif = bytes[start] as number;
  explain.push({
    layer: 'apl',
    offset: start,
    hex: hexOf(bytes, start, start + 1),
    text: `DIF: ${DATA_FIELD_NAME[h.dataField]}, ${FUNCTIONS[h.functionIndex]}, storage bit ${(dif >> 6) & 1}${dif & 0x80 ? ', DIFE follows' : ''}`,
  });
  for (let i = start + 1, n = 0; i < h.vifStart; i++, n++) {
    const d = bytes[i] as number;
    explain.push({
      layer: 'apl',
      offset: i,
      hex: hexOf(bytes, i, i + 1),
      text: `DIFE ${n + 1}: storage bits ${d & 0x0f}, tariff bits ${(d >> 4) & 3}, subunit bit ${(d >> 6) & 1} (storage ${h.storage}, tariff ${h.tariff}, subunit ${h.subunit})`,
    });
  }
  for (let i = h.vifStart, n = 0; i < h.vifEnd; i++, n++) {
    explain.push({ layer: 'apl', offset: i, hex: hexOf(bytes, i, i + 1), text: m.byteTexts[n] ?? 'VIFE' });
  }
  if (h.textStart >= 0) {
    explain.push({
      layer: 'apl',
      offset: h.vifEnd,
      hex: hexOf(bytes, h.vifEnd, h.headerEnd),
      text: `plain-text unit, ${h.textLength} characters sent last first: ${JSON.stringify(readReversedText(bytes, h.textStart, h.textLength))}`,
    });
  }
  const dataStart = h.headerEnd;
  let lvarText = '';
  if (h.dataField === 0xd) {
    const layout = lvarLayout(bytes[dataStart] as number);
    lvarText = layout ? `LVAR ${layout.kind}, ${layout.length} bytes: ` : '';
  }
  explain.push({
    layer: 'apl',
    offset: dataStart,
    hex: hexOf(bytes, dataStart, dataStart + len),
    text: `${lvarText}${m.quantity} = ${value === null ? 'invalid/none' : typeof value === 'string' ? JSON.stringify(value) : value}${unit && typeof value === 'number' ? ` ${unit}` : unit && value !== null ? ` (${unit})` : ''}`,
  });
}
