/**
 * The encoder of EN 13757-3 data records, the inverse of `decodeRecords`: simulators give records
 * in the units the decoder reports (a `DataRecord` itself is a valid input) and get the bytes a
 * meter would send. Values are turned back into raw data with the scale of the VIB, so a volume of
 * 28504.27 m3 with VIF 14 (0.01 m3) is sent as 2850427.
 *
 * Invariant (property-tested): decodeRecords(encodeRecords(x)).records reproduces the storage,
 * tariff, subunit, function, VIF and value of every record of x.
 */
import { concatBytes } from '@opensmgw/core';
import {
  bytesOfHex,
  DATA_FIELD_LENGTH,
  type ProfileMode,
  type ProfileSpacing,
  profileHeaderBytes,
  readProfileHeader,
  writeBcd,
  writeDateG,
  writeDateTimeF,
  writeDateTimeI,
  writeInt,
  writeProfileElement,
  writeReal32,
  writeReversedText,
  writeTimeJ,
  writeUInt64Decimal,
} from './data-types.js';
import { WmbusError } from './errors.js';
import {
  DIF_IDLE_FILLER,
  DIF_MANUFACTURER_DATA,
  DIF_MORE_RECORDS_FOLLOW,
  MAX_DIFES,
  MAX_VIFES,
  newRecordHeader,
  type RecordFunction,
  readHeader,
  scale,
  unscale,
} from './records.js';
import { describeVib, type VibMeaning } from './vif-tables.js';

/** One record to encode. Either `dif` (hex, as in `DataRecord`) or `dataField` (+ storage, ...). */
export interface RecordInput {
  /** DIF and DIFEs as hex; when given, data field, function, storage, tariff and subunit come from it. */
  readonly dif?: string;
  /** Data field code 0x0–0xE (EN 13757-3 Table 4), when `dif` is not given. */
  readonly dataField?: number;
  readonly function?: RecordFunction;
  readonly storage?: number;
  readonly tariff?: number;
  readonly subunit?: number;
  /**
   * VIF and VIFEs, hex or bytes, as on the wire. For a plain-text VIF (7C/FC) the length byte and
   * the reversed text may follow, or be given as `plainText`.
   */
  readonly vif: string | Uint8Array;
  /** The unit text of a plain-text VIF, in reading order. */
  readonly plainText?: string;
  /** The value in the decoder's units: number, ISO-8601 date/time, text, hex (raw kinds), or null. */
  readonly value: number | string | null;
  /** Variable-length data (data field D): how to send the value. Default: text for strings, BCD for numbers. */
  readonly lvar?: 'text' | 'bcd' | 'binary';
  /**
   * A compact profile to build (EN 13757-3 Annex F): the record's VIB carries VIFE 13, 1E or 1F,
   * its data field is D and `value` is null. See `ProfileInput`.
   */
  readonly profile?: ProfileInput;
  /**
   * Set by the decoder on the records it read out of a compact profile: such records are not sent
   * (the profile record before them, with its hex value, carries them).
   */
  readonly profileElement?: number;
}

/**
 * The elements of a compact profile, in the decoder's units: `values[k - 1]` is what the decoder
 * reports for element k (storage number of the record + k), null for "no value". In the modes
 * that send differences the encoder takes them from the base value: the record of this list with
 * the same storage number, tariff, subunit and function whose VIB is the profile's without the
 * profile VIFE (the record the decoder reads the series from). After a null, such a profile can
 * carry no more values.
 */
export interface ProfileInput {
  readonly mode: ProfileMode;
  /** Data field code of each element: integer 0x1–0x4, 0x6, 0x7 or BCD 0x9–0xC, 0xE. */
  readonly elementDataField: number;
  readonly spacing: ProfileSpacing;
  readonly values: readonly (number | null)[];
}

export interface EncodeRecordsOptions {
  /** Idle fillers (2F) before the records; encrypted OMS payloads start with two. Default 0. */
  readonly leadingFillers?: number;
  /** Manufacturer-specific data after DIF 0F (or 1F with `moreRecordsFollow`). */
  readonly manufacturerData?: Uint8Array;
  readonly moreRecordsFollow?: boolean;
}

const FUNCTION_INDEX: Readonly<Record<RecordFunction, number>> = {
  instantaneous: 0,
  maximum: 1,
  minimum: 2,
  error: 3,
};

function fail(index: number, message: string): WmbusError {
  return new WmbusError('SMGW_WMBUS_ENCODE', `record ${index}: ${message}`, { detail: { record: index } });
}

function nonNegativeInteger(v: number | undefined, what: string, limit: number, index: number): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0 || n >= limit)
    throw fail(index, `${what} ${v} is not an integer in 0..${limit - 1}`);
  return n;
}

/** DIF and DIFEs for the given fields: as few DIFEs as the numbers need (EN 13757-3 §6.3). */
function encodeDib(r: RecordInput, index: number): Uint8Array {
  if (r.dif !== undefined) {
    const dib = bytesOfHex(r.dif, `record ${index} dif`);
    if (dib.length === 0 || dib.length > 1 + MAX_DIFES)
      throw fail(index, `dif ${r.dif} must be 1..${1 + MAX_DIFES} bytes`);
    for (let i = 0; i < dib.length; i++) {
      const more = ((dib[i] as number) & 0x80) !== 0;
      if (more !== i < dib.length - 1) throw fail(index, `dif ${r.dif}: extension bits do not match its length`);
    }
    if (((dib[0] as number) & 0x0f) === 0x0f) throw fail(index, `dif ${r.dif}: special functions are not records`);
    return dib;
  }
  const dataField = r.dataField;
  if (dataField === undefined || !Number.isInteger(dataField) || dataField < 0 || dataField > 0x0e) {
    throw fail(index, `dataField ${dataField} is not a data field code 0x0..0xE`);
  }
  const fn = FUNCTION_INDEX[r.function ?? 'instantaneous'];
  if (fn === undefined) throw fail(index, `function ${JSON.stringify(r.function)} unknown`);
  let storage = nonNegativeInteger(r.storage, 'storage', 2 ** (1 + 4 * MAX_DIFES), index);
  let tariff = nonNegativeInteger(r.tariff, 'tariff', 2 ** (2 * MAX_DIFES), index);
  let subunit = nonNegativeInteger(r.subunit, 'subunit', 2 ** MAX_DIFES, index);
  const bytes = [dataField | (fn << 4) | ((storage % 2) << 6)];
  storage = Math.floor(storage / 2);
  while (storage > 0 || tariff > 0 || subunit > 0) {
    const s = storage % 16;
    const t = tariff % 4;
    const u = subunit % 2;
    bytes.push(s | (t << 4) | (u << 6));
    storage = (storage - s) / 16;
    tariff = (tariff - t) / 4;
    subunit = (subunit - u) / 2;
  }
  for (let i = 0; i < bytes.length - 1; i++) bytes[i] = (bytes[i] as number) | 0x80;
  return Uint8Array.from(bytes);
}

/** The VIB bytes (with a plain-text VIF's length and text) and where the VIF/VIFE chain ends. */
function encodeVib(r: RecordInput, index: number): { vib: Uint8Array; chainEnd: number; text: string | null } {
  const given = typeof r.vif === 'string' ? bytesOfHex(r.vif, `record ${index} vif`) : r.vif;
  if (given.length === 0) throw fail(index, 'vif is empty');
  let chainEnd = 1;
  while (((given[chainEnd - 1] as number) & 0x80) !== 0) {
    if (chainEnd >= given.length) throw fail(index, 'vif: the last byte has its extension bit set');
    chainEnd++;
  }
  if (chainEnd > MAX_VIFES + 3) throw fail(index, `vif: more than ${MAX_VIFES} VIFEs`);
  const plain = ((given[0] as number) & 0x7f) === 0x7c;
  if (!plain) {
    if (chainEnd !== given.length) throw fail(index, 'vif: bytes after the last VIFE');
    return { vib: given, chainEnd, text: null };
  }
  if (chainEnd < given.length) {
    // length and reversed text given on the wire
    const len = given[chainEnd] as number;
    if (chainEnd + 1 + len !== given.length) throw fail(index, 'vif: plain-text length does not match');
    let text = '';
    for (let i = given.length - 1; i > chainEnd; i--) text += String.fromCharCode(given[i] as number);
    return { vib: given, chainEnd, text };
  }
  const text = r.plainText;
  if (text === undefined) throw fail(index, 'plain-text VIF without plainText');
  if (text.length > 0xff) throw fail(index, 'plainText longer than 255 characters');
  const vib = new Uint8Array(chainEnd + 1 + text.length);
  vib.set(given.subarray(0, chainEnd));
  vib[chainEnd] = text.length;
  writeReversedText(vib, chainEnd + 1, text);
  return { vib, chainEnd, text };
}

/**
 * `unscale` for integer data: the raw integer whose decoded value is `value`. With a large
 * additive offset and a tiny resolution (°F VIFs with 10^-6 corrections) a double cannot tell
 * neighbouring raw values apart, so the test is the decoder's own: the chosen raw integer must
 * decode back to `value` (within float noise); then the encoding is faithful whatever integer
 * the division picked.
 */
function unscaleInteger(value: number, m: VibMeaning, index: number): number {
  if (!Number.isFinite(value)) throw fail(index, `value ${value} is not finite`);
  const raw = unscale(value, m);
  const rounded = Math.round(raw);
  const exact = Math.abs(raw - rounded) <= 1e-6 * Math.max(1, Math.abs(rounded));
  if (!exact) {
    const back = scale(rounded, m);
    const noise = 4 * Number.EPSILON * Math.max(Math.abs(value), Math.abs(m.offset), 1);
    if (!(Math.abs(back - value) <= noise)) {
      throw fail(index, `value ${value} is not a multiple of the resolution of VIF (raw ${raw})`);
    }
  }
  return rounded === 0 ? 0 : rounded;
}

function bytesOfLength(n: number, value: number, signed: boolean): Uint8Array {
  const out = new Uint8Array(n);
  writeInt(out, 0, n, value, signed);
  return out;
}

/** Data bytes for one record. */
function encodeData(r: RecordInput, dataField: number, m: VibMeaning, index: number): Uint8Array {
  const value = r.value;
  const fixed = DATA_FIELD_LENGTH[dataField] as number;
  if (dataField === 0x0 || dataField === 0x8) {
    if (value !== null) throw fail(index, `data field ${dataField} carries no value, got ${JSON.stringify(value)}`);
    return new Uint8Array(0);
  }
  if (m.kind === 'raw') {
    if (typeof value !== 'string' && m.profile !== undefined) {
      throw fail(index, 'a compact profile is given as hex or as `profile`; its elements are not sent on their own');
    }
    if (typeof value !== 'string') throw fail(index, 'raw (manufacturer-specific) data must be given as hex');
    const bytes = bytesOfHex(value, `record ${index} value`);
    if (dataField === 0xd) {
      // sent with a plain length byte (as meters send compact profiles), unless binary codes are asked for
      if (r.lvar === 'binary' || bytes.length > 0xbf) return lvarBinary(bytes, index);
      return Uint8Array.from([bytes.length, ...bytes]);
    }
    if (bytes.length !== fixed) throw fail(index, `raw value has ${bytes.length} bytes, data field needs ${fixed}`);
    return bytes;
  }
  if (dataField === 0xd) return encodeLvar(r, m, index);
  const out = new Uint8Array(fixed);
  if (m.kind === 'timepoint' && (dataField === 0x2 || dataField === 0x3 || dataField === 0x4 || dataField === 0x6)) {
    if (value !== null && typeof value !== 'string') throw fail(index, 'a date/time value must be an ISO-8601 string');
    try {
      if (dataField === 0x2) writeDateG(out, 0, value);
      else if (dataField === 0x3) writeTimeJ(out, 0, value);
      else if (dataField === 0x4) writeDateTimeF(out, 0, value);
      else writeDateTimeI(out, 0, value);
    } catch (e) {
      throw e instanceof WmbusError ? fail(index, e.message) : e;
    }
    return out;
  }
  if (dataField === 0x5) {
    if (value !== null && typeof value !== 'number') throw fail(index, 'a real value must be a number or null');
    writeReal32(out, 0, value === null ? null : unscale(value, m));
    return out;
  }
  if (value === null) {
    if (dataField >= 0x9) {
      writeBcd(out, 0, fixed, null);
      return out;
    }
    throw fail(index, 'an integer data field cannot carry null (use a BCD data field for "no value")');
  }
  if (typeof value === 'string' && dataField === 0x7 && m.kind === 'unsigned') {
    try {
      writeUInt64Decimal(out, 0, value);
    } catch (e) {
      throw e instanceof WmbusError ? fail(index, e.message) : e;
    }
    return out;
  }
  if (typeof value !== 'number') throw fail(index, `value ${JSON.stringify(value)} must be a number`);
  const raw = unscaleInteger(value, m, index);
  try {
    if (dataField >= 0x9) writeBcd(out, 0, fixed, raw);
    else writeInt(out, 0, fixed, raw, m.kind === 'number');
  } catch (e) {
    throw e instanceof WmbusError ? fail(index, e.message) : e;
  }
  return out;
}

/** LVAR binary (E0–EF up to 15 bytes, else F0–F6 in their fixed sizes). */
function lvarBinary(bytes: Uint8Array, index: number): Uint8Array {
  let lvar: number;
  if (bytes.length <= 15) lvar = 0xe0 + bytes.length;
  else if (bytes.length % 4 === 0 && bytes.length >= 16 && bytes.length <= 32) lvar = 0xec + bytes.length / 4;
  else if (bytes.length === 48) lvar = 0xf5;
  else if (bytes.length === 64) lvar = 0xf6;
  else throw fail(index, `variable-length binary of ${bytes.length} bytes has no LVAR code`);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = lvar;
  out.set(bytes, 1);
  return out;
}

function encodeLvar(r: RecordInput, m: VibMeaning, index: number): Uint8Array {
  const value = r.value;
  if (value === null) return Uint8Array.of(0xc0); // BCD without digits: no value
  if (typeof value === 'string') {
    if (r.lvar !== undefined && r.lvar !== 'text') throw fail(index, `a string value needs lvar 'text'`);
    if (value.length > 0xbf) throw fail(index, 'text longer than 191 characters');
    const out = new Uint8Array(1 + value.length);
    out[0] = value.length;
    try {
      writeReversedText(out, 1, value);
    } catch (e) {
      throw e instanceof WmbusError ? fail(index, e.message) : e;
    }
    return out;
  }
  const raw = unscaleInteger(value, m, index);
  if (r.lvar === 'binary') {
    if (raw < 0) throw fail(index, 'variable-length binary numbers are unsigned');
    let n = 1;
    while (n < 6 && raw >= 2 ** (8 * n)) n++;
    try {
      return lvarBinary(bytesOfLength(n, raw, false), index);
    } catch (e) {
      throw e instanceof WmbusError ? fail(index, e.message) : e;
    }
  }
  if (r.lvar === 'text') throw fail(index, `a number cannot be sent with lvar 'text'`);
  let n = 1;
  while (n < 9 && Math.abs(raw) >= 100 ** n) n++;
  const out = new Uint8Array(1 + n);
  out[0] = (raw < 0 ? 0xd0 : 0xc0) + n;
  try {
    writeBcd(out, 1, n, Math.abs(raw));
  } catch (e) {
    throw e instanceof WmbusError ? fail(index, e.message) : e;
  }
  return out;
}

/** A record with its DIB and VIB encoded. */
interface Headed {
  readonly r: RecordInput;
  readonly index: number;
  readonly dib: Uint8Array;
  readonly vib: Uint8Array;
  readonly meaning: VibMeaning;
}

/** Largest profile content a plain LVAR length byte can announce (EN 13757-3 Table 5: 00–BF). */
const MAX_PROFILE_BYTES = 0xbf;

/** Storage number, tariff, subunit and function of an encoded record (from its DIB). */
function dibFields(x: Headed): [number, number, number, number] {
  const bytes = new Uint8Array(x.dib.length + x.vib.length);
  bytes.set(x.dib);
  bytes.set(x.vib, x.dib.length);
  const h = newRecordHeader();
  readHeader(bytes, 0, bytes.length, h);
  return [h.storage, h.tariff, h.subunit, h.functionIndex];
}

/** The data of a compact profile record: LVAR, header and elements (EN 13757-3 Annex F). */
function encodeProfile(x: Headed, all: readonly Headed[]): Uint8Array {
  const { r, index, meaning } = x;
  const p = r.profile as ProfileInput;
  if (typeof p !== 'object' || p === null) throw fail(index, 'profile must be an object');
  const profile = meaning.profile;
  if (profile === undefined || ((x.dib[0] as number) & 0x0f) !== 0xd) {
    throw fail(index, 'a compact profile needs data field D and a VIB with VIFE 13, 1E or 1F that names a number');
  }
  if (r.value !== null)
    throw fail(index, 'a compact profile record carries its values in `profile`, `value` must be null');
  let header: readonly [number, number];
  try {
    header = profileHeaderBytes(p);
  } catch (e) {
    throw e instanceof WmbusError ? fail(index, e.message) : e;
  }
  const h = readProfileHeader(header[0], header[1]);
  const values = p.values;
  if (h === null || !Array.isArray(values) || values.length === 0) throw fail(index, 'a compact profile needs values');
  const length = 2 + values.length * h.elementLength;
  if (length > MAX_PROFILE_BYTES) throw fail(index, `compact profile of ${length} bytes: at most ${MAX_PROFILE_BYTES}`);

  let previous: number | null = null;
  if (h.mode !== 'absolute') {
    const [storage, tariff, subunit, fn] = dibFields(x);
    const base = all.find((b) => {
      let hex = '';
      for (const byte of b.vib) hex += byte.toString(16).toUpperCase().padStart(2, '0');
      if (hex !== profile.baseVif) return false;
      const [s, t, u, f] = dibFields(b);
      return s === storage && t === tariff && u === subunit && f === fn;
    });
    if (base === undefined || typeof base.r.value !== 'number') {
      throw fail(
        index,
        `a compact profile of ${h.mode} needs its base value: a record with VIB ${profile.baseVif}, storage ${storage}`,
      );
    }
    previous = unscaleInteger(base.r.value, profile.element, base.index);
  }
  const out = new Uint8Array(1 + length);
  out[0] = length;
  out[1] = header[0];
  out[2] = header[1];
  const sign = profile.inverse ? -1 : 1;
  let gap = false;
  values.forEach((v, k) => {
    if (v !== null && typeof v !== 'number') throw fail(index, `compact profile value ${k + 1} is no number`);
    let element: number | null;
    if (v === null) {
      element = null;
      gap = true;
    } else if (h.mode === 'absolute') {
      element = unscaleInteger(v, profile.element, index);
    } else {
      if (gap)
        throw fail(
          index,
          `compact profile value ${k + 1}: after a value without code a series of differences has no more values`,
        );
      const raw = unscaleInteger(v, profile.element, index);
      const difference = sign * (raw - (previous as number));
      element = h.mode === 'decrements' ? -difference : difference;
      previous = raw;
    }
    try {
      writeProfileElement(out, 3 + k * h.elementLength, h, element);
    } catch (e) {
      throw e instanceof WmbusError ? fail(index, `compact profile value ${k + 1}: ${e.message}`) : e;
    }
  });
  return out;
}

/**
 * Encodes data records (and optional leading idle fillers and trailing manufacturer data) into an
 * application-layer payload. Throws SMGW_WMBUS_ENCODE for anything the wire cannot carry.
 */
export function encodeRecords(records: readonly RecordInput[], options: EncodeRecordsOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const fillers = options.leadingFillers ?? 0;
  if (!Number.isInteger(fillers) || fillers < 0 || fillers > 0xffff) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', `leadingFillers ${fillers} out of range`);
  }
  if (fillers > 0) parts.push(new Uint8Array(fillers).fill(DIF_IDLE_FILLER));
  const headed: Headed[] = [];
  records.forEach((r, index) => {
    if (r.profileElement !== undefined) return;
    const dib = encodeDib(r, index);
    const { vib, chainEnd, text } = encodeVib(r, index);
    headed.push({ r, index, dib, vib, meaning: describeVib(vib, 0, chainEnd, text) });
  });
  for (const x of headed) {
    const data =
      x.r.profile !== undefined
        ? encodeProfile(x, headed)
        : encodeData(x.r, (x.dib[0] as number) & 0x0f, x.meaning, x.index);
    parts.push(x.dib, x.vib, data);
  }
  if (options.manufacturerData !== undefined || options.moreRecordsFollow) {
    parts.push(Uint8Array.of(options.moreRecordsFollow ? DIF_MORE_RECORDS_FOLLOW : DIF_MANUFACTURER_DATA));
    if (options.manufacturerData) parts.push(options.manufacturerData);
  }
  return concatBytes(...parts);
}
