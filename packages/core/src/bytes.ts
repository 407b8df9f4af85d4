/** Byte and hex helpers shared by every codec. Pure functions, no I/O. */
import { CoreError } from './errors.js';

/** Nibble value of each char code below 128; -1: not hex; -2: separator (ignored). */
const NIBBLE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  for (const c of ' \t\n\r\v\f_|#') t[c.charCodeAt(0)] = -2;
  return t;
})();

/**
 * Parses hex. Spaces, `_`, `|` and `#` are ignored (test data and wmbusmeters use them as
 * separators); anything else that is not a hex digit, or an odd digit count, is an error.
 * One pass without regular expressions: the JSONL decoder calls this for every telegram.
 */
export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >> 1);
  let n = 0;
  let high = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (NIBBLE[c] as number) : -1;
    if (v >= 0) {
      if (high < 0) high = v;
      else {
        out[n++] = (high << 4) | v;
        high = -1;
      }
    } else if (v === -1) {
      throw new CoreError('SMGW_CORE_BAD_HEX', `not a hex digit: ${JSON.stringify(text[i])}`);
    }
  }
  if (high >= 0) {
    throw new CoreError('SMGW_CORE_BAD_HEX', `hex has an odd number of digits (${2 * n + 1})`);
  }
  return n === out.length ? out : out.slice(0, n);
}

/** Upper-case hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time comparison for MACs and tags (length is not secret). */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export function reversed(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes).reverse();
}

/** Overwrites a buffer with zeros (ephemeral keys, plaintext key material). */
export function zeroize(bytes: Uint8Array): void {
  bytes.fill(0);
}

/** Unsigned little-endian integer of up to 6 bytes as a number. */
export function readUIntLE(bytes: Uint8Array, offset: number, length: number): number {
  let v = 0;
  for (let i = length - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] as number);
  return v;
}

/** Unsigned big-endian integer of up to 6 bytes as a number. */
export function readUIntBE(bytes: Uint8Array, offset: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + (bytes[offset + i] as number);
  return v;
}

/**
 * A bounds-checked cursor over bytes. Every read that would pass the end throws the error made
 * by `onTruncated` (a codec passes its own typed error), so parsers never read `undefined`.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly #onTruncated: (need: number, offset: number, available: number) => Error;

  constructor(
    bytes: Uint8Array,
    options: {
      offset?: number;
      end?: number;
      onTruncated?: (need: number, offset: number, available: number) => Error;
    } = {},
  ) {
    this.#bytes = bytes;
    this.#pos = options.offset ?? 0;
    this.#end = Math.min(options.end ?? bytes.length, bytes.length);
    this.#onTruncated =
      options.onTruncated ??
      ((need, offset, available) =>
        new CoreError('SMGW_CORE_TRUNCATED', `need ${need} byte(s) at offset ${offset}, ${available} left`, {
          detail: { need, offset, available },
        }));
  }

  get offset(): number {
    return this.#pos;
  }
  get remaining(): number {
    return this.#end - this.#pos;
  }
  get atEnd(): boolean {
    return this.#pos >= this.#end;
  }

  #need(n: number): void {
    if (n < 0 || this.#pos + n > this.#end) throw this.#onTruncated(n, this.#pos, this.remaining);
  }

  peek(ahead = 0): number {
    this.#need(ahead + 1);
    return this.#bytes[this.#pos + ahead] as number;
  }
  u8(): number {
    this.#need(1);
    return this.#bytes[this.#pos++] as number;
  }
  u16le(): number {
    this.#need(2);
    const v = readUIntLE(this.#bytes, this.#pos, 2);
    this.#pos += 2;
    return v;
  }
  u16be(): number {
    this.#need(2);
    const v = readUIntBE(this.#bytes, this.#pos, 2);
    this.#pos += 2;
    return v;
  }
  u32le(): number {
    this.#need(4);
    const v = readUIntLE(this.#bytes, this.#pos, 4);
    this.#pos += 4;
    return v;
  }
  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }
  /** A view of everything left. */
  rest(): Uint8Array {
    const v = this.#bytes.subarray(this.#pos, this.#end);
    this.#pos = this.#end;
    return v;
  }
  skip(n: number): void {
    this.#need(n);
    this.#pos += n;
  }
}
