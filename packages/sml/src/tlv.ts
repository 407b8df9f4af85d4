/**
 * The SML type-length encoding (SML 1.04 §6.3): every element starts with a TL field.
 *
 *   bit 7     another TL byte follows
 *   bits 6-4  type: 000 octet string, 100 boolean, 101 integer, 110 unsigned, 111 list
 *             (continuation bytes carry 000 here)
 *   bits 3-0  length nibble; with continuation bytes the nibbles are concatenated, most
 *             significant first
 *
 * For scalars the length counts the TL bytes too (0x62 xx = a one-byte unsigned); for lists it
 * is the number of elements. Two single bytes are special: 0x00 ends an SML_Message
 * (endOfSmlMsg) and 0x01 — an octet string of length zero — marks an omitted OPTIONAL field.
 *
 * Integers are big-endian, two's complement when signed. The standard sizes are 1, 2, 4 and 8
 * bytes, but many meters drop leading bytes (a 3-byte Unsigned32, a 6-byte Integer64); this
 * reader accepts 1 to 8 bytes for any integer and checks the value against the declared type.
 */
import { encodeError, malformed, SmlError, truncated } from './errors.js';

export type TlType = 'octets' | 'boolean' | 'int' | 'uint' | 'list';

/** Type bits (6-4) to type; the three unassigned patterns are malformed. */
const TYPE_OF_BITS: readonly (TlType | undefined)[] = [
  'octets',
  undefined,
  undefined,
  undefined,
  'boolean',
  'int',
  'uint',
  'list',
];
const BITS_OF_TYPE: Readonly<Record<TlType, number>> = { octets: 0, boolean: 4, int: 5, uint: 6, list: 7 };

export const END_OF_MESSAGE = 0x00;
export const OPTIONAL_SKIPPED = 0x01;

/** A TL field may not grow beyond this many bytes (lengths up to 2^24): a bound, not a spec limit. */
export const MAX_TL_BYTES = 6;
/** Nesting bound for generic and recursive structures (SML_Tree). */
export const MAX_DEPTH = 32;

export interface TlField {
  readonly type: TlType;
  /** Data bytes for scalars; number of elements for lists. */
  readonly length: number;
  /** Bytes taken by the TL field itself. */
  readonly size: number;
}

/** Decodes the TL field at `offset` (must be before `end`). */
export function readTl(bytes: Uint8Array, offset: number, end: number = bytes.length): TlField {
  if (offset >= end) throw truncated('TL field', 1, offset, 0);
  const first = bytes[offset] as number;
  const type = TYPE_OF_BITS[(first >>> 4) & 7];
  if (type === undefined) {
    throw malformed(`TL field 0x${hex2(first)} at offset ${offset} has an unassigned type`, { offset, tl: first });
  }
  let length = first & 0x0f;
  let size = 1;
  let more = (first & 0x80) !== 0;
  while (more) {
    if (size >= MAX_TL_BYTES)
      throw malformed(`TL field at offset ${offset} is longer than ${MAX_TL_BYTES} bytes`, { offset });
    if (offset + size >= end) throw truncated('TL field', size + 1, offset, end - offset);
    const b = bytes[offset + size] as number;
    if ((b & 0x70) !== 0) {
      throw malformed(`TL continuation byte 0x${hex2(b)} at offset ${offset + size} carries type bits`, {
        offset: offset + size,
        tl: b,
      });
    }
    length = length * 16 + (b & 0x0f);
    more = (b & 0x80) !== 0;
    size++;
  }
  if (type === 'list') return { type, length, size };
  if (length < size) {
    throw malformed(`TL field at offset ${offset} announces ${length} byte(s), less than its own ${size}`, { offset });
  }
  return { type, length: length - size, size };
}

/** The TL bytes for a scalar of `length` data bytes, or a list of `length` elements. */
export function encodeTl(type: TlType, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw encodeError(`TL length ${length} is not a non-negative integer`);
  let n = 1;
  let total = type === 'list' ? length : length + 1;
  while (total >= 16 ** n) {
    n++;
    if (type !== 'list') total = length + n;
    if (n > MAX_TL_BYTES) throw encodeError(`length ${length} needs more than ${MAX_TL_BYTES} TL bytes`);
  }
  const out = new Uint8Array(n);
  for (let i = n - 1, v = total; i >= 0; i--, v = Math.floor(v / 16)) out[i] = v & 0x0f;
  out[0] = (out[0] as number) | (BITS_OF_TYPE[type] << 4);
  for (let i = 0; i < n - 1; i++) out[i] = (out[i] as number) | 0x80;
  return out;
}

/** A decoded scalar in its wire form: the type and the byte count tell how the sender encoded it. */
export type SmlScalar =
  | { readonly type: 'octets'; readonly value: Uint8Array }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'int' | 'uint'; readonly size: number; readonly value: bigint };

/** Any SML element, decoded without a schema (unknown message bodies, SML_ListType payloads). */
export type SmlNode = SmlScalar | { readonly type: 'list'; readonly items: readonly SmlNode[] };

const TWO_32 = 0x1_0000_0000;
/** Exclusive upper bounds of Unsigned8/16/32 and Integer8/16/32, by byte count. */
const UINT_LIMIT: readonly number[] = [0, 2 ** 8, 2 ** 16, 0, 2 ** 32];
const INT_LIMIT: readonly number[] = [0, 2 ** 7, 2 ** 15, 0, 2 ** 31];

/**
 * A bounds-checked cursor over TLV-encoded bytes. Every method either returns a well-typed value
 * or throws `SmlError` (truncated or malformed) naming the offset.
 */
export class TlvReader {
  readonly bytes: Uint8Array;
  readonly end: number;
  #pos: number;

  constructor(bytes: Uint8Array, offset = 0, end: number = bytes.length) {
    this.bytes = bytes;
    this.#pos = offset;
    this.end = Math.min(end, bytes.length);
  }

  get offset(): number {
    return this.#pos;
  }
  get remaining(): number {
    return this.end - this.#pos;
  }
  get atEnd(): boolean {
    return this.#pos >= this.end;
  }

  /** The next byte, not consumed. */
  peekByte(): number {
    if (this.#pos >= this.end) throw truncated('SML element', 1, this.#pos, 0);
    return this.bytes[this.#pos] as number;
  }

  peekTl(): TlField {
    return readTl(this.bytes, this.#pos, this.end);
  }

  /** Consumes an omitted-OPTIONAL marker (0x01) if one is next. */
  skipped(): boolean {
    if (this.peekByte() === OPTIONAL_SKIPPED) {
      this.#pos++;
      return true;
    }
    return false;
  }

  /** Reads a TL field of the expected type and makes sure its data is present. */
  #expect(type: TlType, what: string): TlField {
    const at = this.#pos;
    const tl = readTl(this.bytes, at, this.end);
    if (tl.type !== type) {
      throw malformed(
        `${what}: expected ${type}, found ${tl.type} (TL 0x${hex2(this.bytes[at] as number)}) at offset ${at}`,
        {
          offset: at,
          what,
          expected: type,
          found: tl.type,
        },
      );
    }
    this.#pos += tl.size;
    if (type !== 'list' && tl.length > this.end - this.#pos) {
      throw truncated(what, tl.length, this.#pos, this.end - this.#pos);
    }
    return tl;
  }

  octets(what = 'octet string'): Uint8Array {
    // Fast path: a one-byte TL (the common case); everything else takes the checked path.
    const p = this.#pos;
    const first = this.bytes[p] as number;
    if (p < this.end && first > 0 && first < 0x10) {
      const n = first - 1;
      if (p + 1 + n <= this.end) {
        this.#pos = p + 1 + n;
        return this.bytes.subarray(p + 1, p + 1 + n);
      }
    }
    const tl = this.#expect('octets', what);
    const v = this.bytes.subarray(this.#pos, this.#pos + tl.length);
    this.#pos += tl.length;
    return v;
  }

  optOctets(what = 'octet string'): Uint8Array | undefined {
    return this.skipped() ? undefined : this.octets(what);
  }

  boolean(what = 'boolean'): boolean {
    const tl = this.#expect('boolean', what);
    if (tl.length !== 1)
      throw malformed(`${what}: a boolean has 1 data byte, found ${tl.length}`, { offset: this.#pos });
    return this.bytes[this.#pos++] !== 0;
  }

  optBoolean(what = 'boolean'): boolean | undefined {
    return this.skipped() ? undefined : this.boolean(what);
  }

  /** An Unsigned8/16/32 field as a number; `bytes` is the declared size. */
  uint(bytes: 1 | 2 | 4, what = 'unsigned'): number {
    const fast = this.#smallFast(0x60, UINT_LIMIT[bytes] as number, 0);
    if (fast !== undefined) return fast;
    const tl = this.#expect('uint', what);
    const v = this.#integerNumber('uint', tl.length, what);
    if (v >= 2 ** (8 * bytes)) {
      throw malformed(`${what}: ${v} does not fit Unsigned${8 * bytes}`, { offset: this.#pos, what });
    }
    return v;
  }

  optUint(bytes: 1 | 2 | 4, what = 'unsigned'): number | undefined {
    return this.skipped() ? undefined : this.uint(bytes, what);
  }

  /** An Integer8/16/32 field as a number. */
  int(bytes: 1 | 2 | 4, what = 'integer'): number {
    const limit0 = INT_LIMIT[bytes] as number;
    const fast = this.#smallFast(0x50, limit0, -limit0);
    if (fast !== undefined) return fast;
    const tl = this.#expect('int', what);
    const v = this.#integerNumber('int', tl.length, what);
    const limit = 2 ** (8 * bytes - 1);
    if (v >= limit || v < -limit) {
      throw malformed(`${what}: ${v} does not fit Integer${8 * bytes}`, { offset: this.#pos, what });
    }
    return v;
  }

  optInt(bytes: 1 | 2 | 4, what = 'integer'): number | undefined {
    return this.skipped() ? undefined : this.int(bytes, what);
  }

  /** An Unsigned64 field. */
  uint64(what = 'unsigned'): bigint {
    return this.#integer('uint', what).value;
  }

  optUint64(what = 'unsigned'): bigint | undefined {
    return this.skipped() ? undefined : this.uint64(what);
  }

  /** An Integer64 field. */
  int64(what = 'integer'): bigint {
    return this.#integer('int', what).value;
  }

  optInt64(what = 'integer'): bigint | undefined {
    return this.skipped() ? undefined : this.int64(what);
  }

  /**
   * An unsigned integer of any size 1..8 whatever the declared type, for fields declared as a
   * CHOICE of sizes (SML_Status: Unsigned8/16/32/64).
   */
  anyUint(what = 'unsigned'): { size: number; value: bigint } {
    return this.#integer('uint', what);
  }

  #integer(type: 'int' | 'uint', what: string): { size: number; value: bigint } {
    const tl = this.#expect(type, what);
    return { size: tl.length, value: this.#integerData(type, tl.length, what) };
  }

  /**
   * Fast path for small integer fields: a one-byte TL of the expected type with 1..4 data bytes,
   * all present, value within [min, limit). Returns undefined (and consumes nothing) otherwise, so
   * the checked path produces the precise error.
   */
  #smallFast(typeBits: number, limit: number, min: number): number | undefined {
    const b = this.bytes;
    const p = this.#pos;
    if (p >= this.end) return undefined;
    const first = b[p] as number;
    if ((first & 0xf0) !== typeBits) return undefined;
    const n = (first & 0x0f) - 1;
    if (n < 1 || n > 4 || p + 1 + n > this.end) return undefined;
    let v = 0;
    for (let i = 1; i <= n; i++) v = v * 256 + (b[p + i] as number);
    if (typeBits === 0x50 && (b[p + 1] as number) & 0x80) v -= 2 ** (8 * n);
    if (v >= limit || v < min) return undefined;
    this.#pos = p + 1 + n;
    return v;
  }

  /** Integer data as a number: exact up to 6 bytes, magnitude-correct beyond (for range checks). */
  #integerNumber(type: 'int' | 'uint', n: number, what: string): number {
    if (n < 1 || n > 6) return Number(this.#integerData(type, n, what));
    const b = this.bytes;
    const p = this.#pos;
    this.#pos += n;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (b[p + i] as number);
    if (type === 'int' && (b[p] as number) & 0x80) v -= 2 ** (8 * n);
    return v;
  }

  #integerData(type: 'int' | 'uint', n: number, what: string): bigint {
    if (n < 1 || n > 8) {
      throw malformed(`${what}: an integer has 1 to 8 data bytes, found ${n}`, { offset: this.#pos, what, size: n });
    }
    const b = this.bytes;
    const p = this.#pos;
    this.#pos += n;
    if (n <= 6) {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + (b[p + i] as number);
      if (type === 'int' && (b[p] as number) & 0x80) v -= 2 ** (8 * n);
      return BigInt(v);
    }
    let hi = 0;
    for (let i = 0; i < n - 4; i++) hi = hi * 256 + (b[p + i] as number);
    let lo = 0;
    for (let i = n - 4; i < n; i++) lo = lo * 256 + (b[p + i] as number);
    const u = BigInt(hi) * BigInt(TWO_32) + BigInt(lo);
    return type === 'int' ? BigInt.asIntN(8 * n, u) : u;
  }

  /** Any scalar (SML_Value without the list choice). */
  scalar(what = 'value'): SmlScalar {
    const tl = this.peekTl();
    switch (tl.type) {
      case 'octets':
        return { type: 'octets', value: this.octets(what) };
      case 'boolean':
        return { type: 'boolean', value: this.boolean(what) };
      case 'int':
      case 'uint': {
        const v = this.#integer(tl.type, what);
        return { type: tl.type, size: v.size, value: v.value };
      }
      default:
        throw malformed(`${what}: expected a scalar, found a list at offset ${this.#pos}`, { offset: this.#pos, what });
    }
  }

  /**
   * A list header; returns the element count. With `count`, the list must have exactly that many
   * elements (SEQUENCEs have fixed lengths in SML).
   */
  list(what: string, count?: number): number {
    const at = this.#pos;
    const tl = this.#expect('list', what);
    if (count !== undefined && tl.length !== count) {
      throw malformed(`${what}: expected a list of ${count}, found ${tl.length} at offset ${at}`, {
        offset: at,
        what,
        expected: count,
        found: tl.length,
      });
    }
    // Every element takes at least one byte: a count beyond that is a lie (and an allocation bound).
    if (tl.length > this.end - this.#pos) throw truncated(what, tl.length, this.#pos, this.end - this.#pos);
    return tl.length;
  }

  /** An OPTIONAL list header: undefined when omitted. */
  optList(what: string, count?: number): number | undefined {
    return this.skipped() ? undefined : this.list(what, count);
  }

  /** endOfSmlMsg (0x00). */
  endOfMessage(): void {
    const b = this.peekByte();
    if (b !== END_OF_MESSAGE) {
      throw malformed(`expected endOfSmlMsg (00) at offset ${this.#pos}, found 0x${hex2(b)}`, { offset: this.#pos });
    }
    this.#pos++;
  }

  /** Any element, decoded without a schema, at most `MAX_DEPTH` lists deep. */
  node(depth = 0): SmlNode {
    if (depth > MAX_DEPTH) {
      throw new SmlError('SMGW_SML_LIMIT', `SML elements nested deeper than ${MAX_DEPTH} at offset ${this.#pos}`, {
        detail: { offset: this.#pos, limit: MAX_DEPTH },
      });
    }
    const tl = this.peekTl();
    if (tl.type !== 'list') return this.scalar();
    const n = this.list('list');
    const items: SmlNode[] = [];
    for (let i = 0; i < n; i++) items.push(this.node(depth + 1));
    return { type: 'list', items };
  }
}

/** Appends TLV elements to a growing buffer (the encoder's half of this module). */
export class TlvWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  /** The bytes written so far (a copy). */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** A view of bytes already written (for CRCs over a range). */
  view(start: number, end: number = this.#len): Uint8Array {
    return this.#buf.subarray(start, end);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  raw(bytes: Uint8Array | readonly number[]): this {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  byte(b: number): this {
    this.#ensure(1);
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }

  /** An omitted OPTIONAL field. */
  skipped(): this {
    return this.byte(OPTIONAL_SKIPPED);
  }

  endOfMessage(): this {
    return this.byte(END_OF_MESSAGE);
  }

  octets(value: Uint8Array): this {
    return this.raw(encodeTl('octets', value.length)).raw(value);
  }

  optOctets(value: Uint8Array | undefined): this {
    return value === undefined ? this.skipped() : this.octets(value);
  }

  boolean(value: boolean): this {
    return this.byte(0x42).byte(value ? 0x01 : 0x00);
  }

  optBoolean(value: boolean | undefined): this {
    return value === undefined ? this.skipped() : this.boolean(value);
  }

  /** An unsigned integer in exactly `size` bytes (1..8). */
  uint(value: number | bigint, size: number): this {
    return this.#integer('uint', value, size);
  }

  optUint(value: number | bigint | undefined, size: number): this {
    return value === undefined ? this.skipped() : this.uint(value, size);
  }

  /** A signed integer in exactly `size` bytes (1..8), two's complement. */
  int(value: number | bigint, size: number): this {
    return this.#integer('int', value, size);
  }

  optInt(value: number | bigint | undefined, size: number): this {
    return value === undefined ? this.skipped() : this.int(value, size);
  }

  #integer(type: 'int' | 'uint', value: number | bigint, size: number): this {
    if (!Number.isInteger(size) || size < 1 || size > 8) throw encodeError(`integer size ${size} is not 1..8`);
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw encodeError(`integer value ${value} is not a safe integer (pass a bigint)`);
    }
    const v = BigInt(value);
    const bits = BigInt(8 * size);
    const ok = type === 'uint' ? v >= 0n && v < 1n << bits : v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n);
    if (!ok) throw encodeError(`${value} does not fit ${type === 'uint' ? 'Unsigned' : 'Integer'} of ${size} byte(s)`);
    this.byte((BITS_OF_TYPE[type] << 4) | (size + 1));
    const u = BigInt.asUintN(8 * size, v);
    this.#ensure(size);
    for (let i = size - 1; i >= 0; i--) this.#buf[this.#len + i] = Number((u >> BigInt(8 * (size - 1 - i))) & 0xffn);
    this.#len += size;
    return this;
  }

  /** A scalar exactly as decoded (same type and size): round trips are byte-exact. */
  scalar(value: SmlScalar): this {
    switch (value.type) {
      case 'octets':
        return this.octets(value.value);
      case 'boolean':
        return this.boolean(value.value);
      default:
        return this.#integer(value.type, value.value, value.size);
    }
  }

  list(count: number): this {
    return this.raw(encodeTl('list', count));
  }

  node(value: SmlNode): this {
    if (value.type !== 'list') return this.scalar(value);
    this.list(value.items.length);
    for (const item of value.items) this.node(item);
    return this;
  }
}

/** The smallest byte count (1..8) that holds `value` as `type`. */
export function minimalIntegerSize(type: 'int' | 'uint', value: number | bigint): number {
  const v = BigInt(value);
  for (let n = 1; n <= 8; n++) {
    const bits = BigInt(8 * n);
    if (type === 'uint' ? v >= 0n && v < 1n << bits : v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n)) return n;
  }
  throw encodeError(`${value} does not fit a 64-bit ${type === 'uint' ? 'unsigned' : 'signed'} integer`);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
