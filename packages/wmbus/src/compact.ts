/**
 * Compact frames (CI 0x79, EN 13757-3 Annex G; OMS Vol. 2): a meter that sends the same record
 * layout again and again drops the DIF/VIF bytes and sends
 *
 *   format signature (2 bytes LE) | full-frame CRC (2 bytes LE) | the data fields only
 *
 * The format signature is the CRC-16 of EN 13757 over the record format (the DIB and VIB bytes of
 * every record, in order); the full-frame CRC is the same CRC over the records as the full frame
 * would carry them (headers and data interleaved, no idle fillers). A receiver learns formats from
 * the full frames (CI 0x78/0x7A/0x72) the meter sends now and then, and knows a few common ones in
 * advance.
 */

import { bytesEqual } from '@opensmgw/core';
import { crc16En13757 } from './crc.js';
import { bytesOfHex, hexOf } from './data-types.js';
import { truncated, WmbusError } from './errors.js';
import type { Explain } from './explain.js';
import { encodeRecords, type RecordInput } from './record-encoder.js';
import {
  DIF_IDLE_FILLER,
  dataLength,
  decodeRecords,
  newRecordHeader,
  type RecordsResult,
  readHeader,
} from './records.js';

/** The format signature of a record format: CRC-16 EN 13757 over its bytes. */
export function formatSignature(format: Uint8Array): number {
  return crc16En13757(format);
}

/**
 * Formats known without having seen a full frame: Kamstrup's (the meters that send compact
 * frames by default). Collected from full frames of the public wmbusmeters test telegrams and the
 * formats wmbusmeters itself knows in advance; the signatures are checked by the unit tests.
 */
export const BUILT_IN_FORMATS: readonly {
  readonly signature: number;
  readonly format: string;
  readonly meter: string;
}[] = [
  { signature: 0xa8ed, format: '02FF2004134413615B6167', meter: 'Kamstrup Multical 21' },
  { signature: 0xc412, format: '02FF20041392013BA1015B8101E7FF0F', meter: 'Kamstrup Multical 21' },
  { signature: 0x61eb, format: '02FF2004134413A1015B8101E7FF0F', meter: 'Kamstrup Multical 21' },
  { signature: 0xd2f7, format: '02FF2004134413615B5167', meter: 'Kamstrup Multical 21' },
  { signature: 0xdd34, format: '02FF2004134413', meter: 'Kamstrup Multical 21' },
  {
    signature: 0xa9f3,
    format: '04FF2304134413426C023B92013BA2013B06FF1BA1015B91015BA10167',
    meter: 'Kamstrup flowIQ 2200',
  },
  { signature: 0x0905, format: '04FF234413523B06FF1B426C61675167023B04138101E7FF0F', meter: 'Kamstrup flowIQ 2200' },
  { signature: 0xf1e7, format: '030643060314426C022D01FF21', meter: 'Kamstrup Multical 302 (kWh)' },
  { signature: 0x6de2, format: '030F430F0314426C022D01FF21', meter: 'Kamstrup Multical 302 (GJ)' },
  { signature: 0x52c2, format: '030E430E0313426C022D01FF21', meter: 'Kamstrup Multical 302 (MJ)' },
  {
    signature: 0x1434,
    format: '040E04FF0704FF08041384401484804014043B0259025D142D84100E84200E04FF22026C440E4413C44014C4804014426C',
    meter: 'Kamstrup Multical 403',
  },
  {
    signature: 0xe7a2,
    format: '040F04FF0704FF08041484401484804014043B0259025D142D84100F84200F04FF22026C440F4414C44014C4804014426C',
    meter: 'Kamstrup Multical 403',
  },
  {
    signature: 0x8400,
    format: '02F9FF15040604EEFF0704EEFF0804148440148480401402FD17026C426C44064414C44014C4804014043B0259025D',
    meter: 'Kamstrup Multical 602',
  },
  { signature: 0x7869, format: '040604FF0704FF080414043B0259025D04FF22', meter: 'Kamstrup Multical 603' },
  {
    signature: 0x441f,
    format: '040604FF0704FF080414043B042D0259025D04FF220422143B142D',
    meter: 'Kamstrup Multical 603',
  },
  { signature: 0xd7d6, format: '040F04FF0704FF08041402FD17043B0259025D', meter: 'Kamstrup heat meter' },
  { signature: 0xb34d, format: '040604FF0704FF080414043B0259025D04FF22026C44064414426C', meter: 'Kamstrup heat meter' },
  {
    signature: 0xae5a,
    format: '0406041404FF0704FF080259025D023B02FF22026C44064414426C',
    meter: 'Kamstrup heat meter',
  },
  { signature: 0x8c13, format: '040404843C042B04AB3C', meter: 'Kamstrup Omnipower' },
];

const BUILT_IN: ReadonlyMap<number, Uint8Array> = new Map(
  BUILT_IN_FORMATS.map((f) => {
    const format = bytesOfHex(f.format, 'built-in format');
    return [formatSignature(format), format];
  }),
);

/** Longest format learned: far more than a telegram's records, bounds the store's memory (× capacity). */
export const MAX_FORMAT_BYTES = 2048;

/**
 * Record formats by signature: learned ones (least recently used dropped beyond `capacity`)
 * before the built-in table. Keyed by signature alone, like the meters themselves: the signature
 * is a checksum of the format, and the full-frame CRC catches the rare collision.
 */
export class FormatStore {
  readonly #learned = new Map<number, Uint8Array>();
  /** The most recently learned signature: meters repeat their format, skip the LRU shuffle then. */
  #last = -1;
  readonly #capacity: number;
  readonly #builtIn: boolean;

  constructor(options: { capacity?: number; builtIn?: boolean } = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 1024);
    this.#builtIn = options.builtIn ?? true;
  }

  /** Remembers a format (from a full frame's `RecordsResult.format`); returns its signature. */
  learn(format: Uint8Array): number {
    const signature = formatSignature(format);
    // nothing a compact frame could refer to, or more than memory should hold per meter
    if (format.length === 0 || format.length > MAX_FORMAT_BYTES) return signature;
    const known = this.#learned.get(signature);
    if (known !== undefined && bytesEqual(known, format)) {
      if (signature !== this.#last) {
        // refresh its place in the LRU order
        this.#learned.delete(signature);
        this.#learned.set(signature, known);
        this.#last = signature;
      }
      return signature;
    }
    this.#learned.delete(signature);
    this.#learned.set(signature, Uint8Array.from(format));
    this.#last = signature;
    if (this.#learned.size > this.#capacity) {
      const oldest = this.#learned.keys().next().value as number;
      this.#learned.delete(oldest);
    }
    return signature;
  }

  get(signature: number): Uint8Array | undefined {
    return this.#learned.get(signature) ?? (this.#builtIn ? BUILT_IN.get(signature) : undefined);
  }

  /** Number of learned formats (the built-in ones not counted). */
  get size(): number {
    return this.#learned.size;
  }
}

/**
 * Rebuilds the full records from a format and the compact data: for each record of the format,
 * its header bytes, then as many data bytes as its data field (or LVAR byte) says. Trailing idle
 * fillers after the data are ignored; other trailing bytes are an error.
 */
export function expandCompactData(format: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(format.length + data.length);
  const h = newRecordHeader();
  let f = 0;
  let d = 0;
  let o = 0;
  while (f < format.length) {
    const dif = format[f] as number;
    if ((dif & 0x0f) === 0x0f) {
      throw new WmbusError('SMGW_WMBUS_MALFORMED', `compact frame: special function DIF in the record format at ${f}`);
    }
    readHeader(format, f, format.length, h);
    out.set(format.subarray(f, h.headerEnd), o);
    o += h.headerEnd - f;
    f = h.headerEnd;
    const len = dataLength(data, d, data.length, h.dataField);
    out.set(data.subarray(d, d + len), o);
    o += len;
    d += len;
  }
  while (d < data.length && data[d] === DIF_IDLE_FILLER) d++;
  if (d < data.length) {
    throw new WmbusError(
      'SMGW_WMBUS_MALFORMED',
      `compact frame: ${data.length - d} byte(s) after the last record of the format`,
      { detail: { offset: d } },
    );
  }
  return out.subarray(0, o);
}

/**
 * Decodes a compact frame: `payload` is what follows CI 0x79. Throws SMGW_WMBUS_UNKNOWN_FORMAT
 * when the signature is neither learned nor built in, SMGW_WMBUS_CRC when the rebuilt records do
 * not match the full-frame CRC. The records (and `--explain` offsets after the 4-byte header)
 * are those of the rebuilt full frame.
 */
export function decodeCompactFrame(payload: Uint8Array, store: FormatStore, explain?: Explain): RecordsResult {
  if (payload.length < 4) throw truncated('compact frame', 4, 0, payload.length);
  const signature = (payload[0] as number) | ((payload[1] as number) << 8);
  const fullCrc = (payload[2] as number) | ((payload[3] as number) << 8);
  const sigHex = signature.toString(16).toUpperCase().padStart(4, '0');
  const format = store.get(signature);
  explain?.push({
    layer: 'apl',
    offset: 0,
    hex: hexOf(payload, 0, 2),
    text: `compact frame format signature ${sigHex}${format ? '' : ' (unknown)'}`,
  });
  if (!format) {
    throw new WmbusError(
      'SMGW_WMBUS_UNKNOWN_FORMAT',
      `compact frame: format signature ${sigHex} unknown; it is learned from the meter's next full frame`,
      { detail: { signature } },
    );
  }
  const full = expandCompactData(format, payload.subarray(4));
  const crc = crc16En13757(full);
  explain?.push({
    layer: 'apl',
    offset: 2,
    hex: hexOf(payload, 2, 4),
    text: `full-frame CRC ${fullCrc.toString(16).toUpperCase().padStart(4, '0')}${crc === fullCrc ? ' ok' : ` wrong (computed ${crc.toString(16).toUpperCase().padStart(4, '0')})`}; records below at offsets of the rebuilt full frame ${hexOf(full, 0, full.length)}`,
  });
  if (crc !== fullCrc) {
    throw new WmbusError(
      'SMGW_WMBUS_CRC',
      `compact frame: full-frame CRC ${fullCrc.toString(16).padStart(4, '0')} does not match the records rebuilt with format ${sigHex} (${crc.toString(16).padStart(4, '0')})`,
      { detail: { signature, expected: fullCrc, computed: crc } },
    );
  }
  return decodeRecords(full, explain, { strict: true });
}

/**
 * Encodes a compact frame (the bytes after CI 0x79) for records, or for a full application-layer
 * payload as `encodeRecords` makes it. Idle fillers are dropped; manufacturer data (DIF 0F/1F)
 * cannot be carried.
 */
export function encodeCompactFrame(records: readonly RecordInput[] | Uint8Array): Uint8Array {
  const payload = records instanceof Uint8Array ? records : encodeRecords(records);
  const result = decodeRecords(payload, undefined, { strict: true });
  if (result.manufacturerData !== null) {
    throw new WmbusError('SMGW_WMBUS_ENCODE', 'compact frame: manufacturer-specific data cannot be compacted');
  }
  // The full records without fillers: walk again, copying headers to the format and data to the data.
  const format = result.format;
  const full = new Uint8Array(payload.length);
  const data = new Uint8Array(payload.length);
  const h = newRecordHeader();
  let p = 0;
  let o = 0;
  let d = 0;
  while (p < payload.length) {
    if (payload[p] === DIF_IDLE_FILLER) {
      p++;
      continue;
    }
    readHeader(payload, p, payload.length, h);
    const len = dataLength(payload, h.headerEnd, payload.length, h.dataField);
    full.set(payload.subarray(p, h.headerEnd + len), o);
    o += h.headerEnd + len - p;
    data.set(payload.subarray(h.headerEnd, h.headerEnd + len), d);
    d += len;
    p = h.headerEnd + len;
  }
  const signature = formatSignature(format);
  const crc = crc16En13757(full, 0, o);
  const out = new Uint8Array(4 + d);
  out[0] = signature & 0xff;
  out[1] = signature >> 8;
  out[2] = crc & 0xff;
  out[3] = crc >> 8;
  out.set(data.subarray(0, d), 4);
  return out;
}
