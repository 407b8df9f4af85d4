/**
 * SML transport protocol version 1 (SML 1.04 §8.1): the escape sequences that frame an SML file
 * on a byte stream.
 *
 *   1B1B1B1B 01010101   start
 *   ... data, in 4-byte blocks; a data block equal to 1B1B1B1B is sent twice ...
 *   00 × n              padding, so the end sequence starts on a 4-byte boundary (n = 0..3)
 *   1B1B1B1B 1A nn c0 c1   end: nn = number of padding bytes, c0 c1 = CRC over everything
 *                          from the first start byte up to and including nn (low byte first)
 *
 * The stream is read as hostile: meters are unplugged mid-frame, optical heads drop bytes, and
 * captures start in the middle of a frame. `SmlTransportSplitter` therefore
 *  - hunts for a start sequence at any byte position (garbage before it is skipped and counted),
 *  - treats a start sequence inside a frame as "the previous frame was cut off here",
 *  - recognises escapes in the data only on the 4-byte grid the sender uses (§8.1), but also
 *    accepts an end sequence off the grid when its CRC matches (meters that do not pad),
 *  - bounds the frame size, and never throws: every problem is a `fault` event.
 * It is a push-driven state machine (sans-I/O): feed it chunks as they arrive from a serial
 * port, TCP or TLS socket, or a whole capture at once.
 */
import { concatBytes } from '@opensmgw/core';
import { type CrcVariant, crc16, crcFromWire, crcToWire, matchCrc } from './crc.js';
import { encodeError, malformed, SmlError } from './errors.js';

const ESC = 0x1b;
export const START_SEQUENCE: Uint8Array = Uint8Array.of(ESC, ESC, ESC, ESC, 1, 1, 1, 1);
const END_MARK = 0x1a;

/** Default bound on one frame's size on the wire. A GetProfileList answer for a month of 15-minute
 *  values fits easily; anything larger is treated as a runaway frame. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

/** A complete frame whose CRC matched. */
export interface TransportFrame {
  readonly kind: 'frame';
  /** Stream offset of the first start byte. */
  readonly offset: number;
  /** Bytes on the wire, start to CRC inclusive. */
  readonly length: number;
  /** The SML file: unescaped, without padding. A copy, owned by the caller. */
  readonly file: Uint8Array;
  readonly padding: number;
  /** Which CRC-16 variant the sender used (X.25 is the standard; some meters are reported to use KERMIT). */
  readonly crc: CrcVariant;
  /** False when the end sequence was off the 4-byte grid (sender did not pad). */
  readonly aligned: boolean;
}

/** A frame that started but could not be completed or verified. */
export interface TransportFault {
  readonly kind: 'fault';
  readonly offset: number;
  readonly length: number;
  readonly error: SmlError;
  /** The unescaped data received before the fault (diagnostics only: it is not verified). */
  readonly data: Uint8Array;
}

export type TransportEvent = TransportFrame | TransportFault;

export interface SplitterOptions {
  /** Largest frame accepted on the wire; longer ones become a `SMGW_SML_LIMIT` fault. */
  readonly maxFrameBytes?: number;
}

/**
 * Splits a byte stream into SML transport frames. `push` returns the events completed by that
 * chunk; `finish` reports a frame left open at the end of the stream.
 */
export class SmlTransportSplitter {
  readonly #maxFrame: number;
  #buf = new Uint8Array(4096);
  #len = 0;
  /** Stream offset of `#buf[0]`. */
  #base = 0;
  #inFrame = false;
  /** Index in `#buf` of the current frame's first start byte. */
  #frameStart = 0;
  /** Index in `#buf` where scanning continues. */
  #scan = 0;
  /** Offsets (relative to the frame start) of the duplicate 4 bytes of each escaped data block. */
  #escapes: number[] = [];
  #garbage = 0;
  #frames = 0;

  constructor(options: SplitterOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxFrame = Number.isFinite(max) ? Math.max(16, Math.floor(max)) : DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes skipped outside frames so far (noise, the tail of a frame the capture began in). */
  get garbageBytes(): number {
    return this.#garbage;
  }

  /** Frames started so far (complete or faulty). */
  get framesSeen(): number {
    return this.#frames;
  }

  push(chunk: Uint8Array): TransportEvent[] {
    const events: TransportEvent[] = [];
    this.#append(chunk);
    this.#process(events);
    return events;
  }

  /** End of stream: a frame still open is reported as truncated; the splitter is reset. */
  finish(): TransportEvent[] {
    const events: TransportEvent[] = [];
    this.#process(events);
    if (this.#inFrame) {
      events.push(this.#truncatedFault(this.#len, 'stream ended inside a frame'));
      this.#inFrame = false;
    } else {
      this.#garbage += this.#len - this.#scan;
    }
    this.#base += this.#len;
    this.#len = 0;
    this.#scan = 0;
    return events;
  }

  #append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const keep = this.#inFrame ? this.#frameStart : this.#scan;
    if (this.#len + chunk.length > this.#buf.length) {
      const live = this.#len - keep;
      const needed = live + chunk.length;
      const target = needed > this.#buf.length >>> 1 ? new Uint8Array(Math.max(needed * 2, 4096)) : this.#buf;
      if (target === this.#buf) this.#buf.copyWithin(0, keep, this.#len);
      else target.set(this.#buf.subarray(keep, this.#len), 0);
      this.#buf = target;
      this.#len = live;
      this.#base += keep;
      this.#scan -= keep;
      this.#frameStart -= keep;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  #process(events: TransportEvent[]): void {
    for (;;) {
      if (!this.#inFrame) {
        if (!this.#hunt()) return;
        continue;
      }
      if (!this.#step(events)) return;
    }
  }

  /** Looks for a start sequence from `#scan`. Returns true when a frame was entered. */
  #hunt(): boolean {
    const b = this.#buf.subarray(0, this.#len); // indexOf must not search stale bytes
    let i = this.#scan;
    while (i < this.#len) {
      i = b.indexOf(ESC, i);
      if (i < 0 || i >= this.#len) break;
      const avail = Math.min(8, this.#len - i);
      let match = true;
      for (let k = 0; k < avail; k++) {
        if (b[i + k] !== START_SEQUENCE[k]) {
          match = false;
          break;
        }
      }
      if (match && avail === 8) {
        this.#garbage += i - this.#scan;
        this.#enterFrame(i);
        return true;
      }
      if (match) {
        // A possible start cut by the chunk boundary: wait for more bytes.
        this.#garbage += i - this.#scan;
        this.#scan = i;
        return false;
      }
      i++;
    }
    this.#garbage += this.#len - this.#scan;
    this.#scan = this.#len;
    return false;
  }

  #enterFrame(at: number): void {
    this.#inFrame = true;
    this.#frameStart = at;
    this.#scan = at + 8;
    this.#escapes = [];
    this.#frames++;
  }

  /** Scans the open frame for the next escape sequence. Returns false when more bytes are needed. */
  #step(events: TransportEvent[]): boolean {
    const b = this.#buf.subarray(0, this.#len); // indexOf must not search stale bytes
    const fs = this.#frameStart;
    // Escape sequences (8 bytes) must start at or before `lastEsc` for the frame to stay within
    // the size bound. Deciding by position (not by what has arrived so far) keeps the result the
    // same however the stream is chunked.
    const lastEsc = fs + this.#maxFrame - 8;
    let i = this.#scan;
    for (;;) {
      i = b.indexOf(ESC, i);
      const found = i >= 0 && i < this.#len;
      // Not found: no 1B up to the end, so the next escape cannot start before #len.
      if ((found && i > lastEsc) || (!found && this.#len > lastEsc)) {
        events.push(
          this.#fault(
            lastEsc + 1,
            new SmlError('SMGW_SML_LIMIT', `transport frame longer than ${this.#maxFrame} bytes`, {
              detail: { offset: this.#base + fs, limit: this.#maxFrame },
            }),
          ),
        );
        this.#inFrame = false;
        this.#scan = lastEsc + 1;
        return true;
      }
      if (!found) {
        this.#scan = this.#len;
        return false;
      }
      if (i + 4 > this.#len) {
        this.#scan = i;
        return false;
      }
      if (b[i + 1] !== ESC || b[i + 2] !== ESC || b[i + 3] !== ESC) {
        i++;
        continue;
      }
      if (i + 8 > this.#len) {
        this.#scan = i;
        return false;
      }
      const aligned = (i - fs) % 4 === 0;
      const n0 = b[i + 4] as number;
      if (n0 === 1 && b[i + 5] === 1 && b[i + 6] === 1 && b[i + 7] === 1) {
        // A new start inside the frame: the sender restarted, or bytes (an end sequence) were lost.
        events.push(this.#truncatedFault(i, 'a new start sequence arrived before the end sequence'));
        this.#enterFrame(i);
        return true;
      }
      if (n0 === END_MARK) {
        if (aligned || this.#crcMatchesAt(i)) {
          events.push(this.#finishFrame(i, aligned));
          this.#inFrame = false;
          this.#scan = i + 8;
          return true;
        }
        i++;
        continue;
      }
      if (aligned && n0 === ESC && b[i + 5] === ESC && b[i + 6] === ESC && b[i + 7] === ESC) {
        // An escaped data block (§8.1): 1B1B1B1B sent twice stands for one 1B1B1B1B of data.
        this.#escapes.push(i + 4 - fs);
        i += 8;
        continue;
      }
      if (aligned) {
        const error =
          n0 >= 0x02 && n0 <= 0x04
            ? new SmlError(
                'SMGW_SML_UNSUPPORTED',
                `transport escape 1B1B1B1B ${hex2(n0)}: transport protocol version 2 is not supported`,
                { detail: { offset: this.#base + i, escape: n0 } },
              )
            : malformed(`unknown transport escape sequence 1B1B1B1B ${hex2(n0)}`, {
                offset: this.#base + i,
                escape: n0,
              });
        events.push(this.#fault(i, error));
        this.#inFrame = false;
        this.#scan = i + 1;
        return true;
      }
      // Off the grid and not a start or a valid end: plain data that happens to contain 1B1B1B1B.
      i++;
    }
  }

  #crcMatchesAt(i: number): boolean {
    const b = this.#buf;
    return matchCrc(crcFromWire(b[i + 6] as number, b[i + 7] as number), b, this.#frameStart, i + 6) !== null;
  }

  /** The unescaped data of the open frame up to buffer index `end`. */
  #data(end: number): Uint8Array {
    const fs = this.#frameStart;
    const from = fs + 8;
    if (end <= from) return new Uint8Array(0);
    if (this.#escapes.length === 0) return this.#buf.slice(from, end);
    const parts: Uint8Array[] = [];
    let at = from;
    for (const rel of this.#escapes) {
      const cut = fs + rel;
      if (cut >= end) break;
      parts.push(this.#buf.subarray(at, cut));
      at = cut + 4;
    }
    if (at < end) parts.push(this.#buf.subarray(at, end));
    return concatBytes(...parts);
  }

  #finishFrame(i: number, aligned: boolean): TransportEvent {
    const b = this.#buf;
    const fs = this.#frameStart;
    const length = i + 8 - fs;
    const padding = b[i + 5] as number;
    const wire = crcFromWire(b[i + 6] as number, b[i + 7] as number);
    const variant = matchCrc(wire, b, fs, i + 6);
    const data = this.#data(i);
    const offset = this.#base + fs;
    if (variant === null) {
      return {
        kind: 'fault',
        offset,
        length,
        data,
        error: new SmlError(
          'SMGW_SML_CRC',
          `transport CRC mismatch: frame says ${hex4(wire)}, CRC-16/X.25 gives ${hex4(crc16('x25', b, fs, i + 6))}`,
          {
            detail: { offset, expected: wire, x25: crc16('x25', b, fs, i + 6), kermit: crc16('kermit', b, fs, i + 6) },
          },
        ),
      };
    }
    if (padding > 3 || padding > data.length) {
      return {
        kind: 'fault',
        offset,
        length,
        data,
        error: malformed(`transport end sequence announces ${padding} padding bytes (0..3 allowed)`, {
          offset,
          padding,
        }),
      };
    }
    return {
      kind: 'frame',
      offset,
      length,
      file: padding === 0 ? data : data.subarray(0, data.length - padding),
      padding,
      crc: variant,
      aligned,
    };
  }

  /** A fault for the open frame, ending at buffer index `end`. */
  #fault(end: number, error: SmlError): TransportFault {
    const fs = this.#frameStart;
    return { kind: 'fault', offset: this.#base + fs, length: end - fs, error, data: this.#data(end) };
  }

  /** The open frame ends at buffer index `end` without its end sequence. */
  #truncatedFault(end: number, why: string): TransportFault {
    const offset = this.#base + this.#frameStart;
    const error = new SmlError('SMGW_SML_TRUNCATED', `${why} (frame at offset ${offset})`, {
      detail: { offset, length: end - this.#frameStart },
    });
    return this.#fault(end, error);
  }
}

/** All transport events of a complete capture. */
export function splitTransportFrames(bytes: Uint8Array, options: SplitterOptions = {}): TransportEvent[] {
  const s = new SmlTransportSplitter(options);
  const events = s.push(bytes);
  for (const e of s.finish()) events.push(e);
  return events;
}

export interface TransportEncodeOptions {
  /** CRC variant to send; 'kermit' imitates the Holley DTZ541. Default 'x25'. */
  readonly crc?: CrcVariant;
}

/**
 * Wraps an SML file in a transport frame: start sequence, escaped data, padding to the 4-byte
 * grid, end sequence with padding count and CRC (SML 1.04 §8.1).
 */
export function encodeTransportFrame(file: Uint8Array, options: TransportEncodeOptions = {}): Uint8Array {
  const variant = options.crc ?? 'x25';
  if (variant !== 'x25' && variant !== 'kermit') throw encodeError(`unknown CRC variant ${String(variant)}`);
  let escapes = 0;
  for (let i = 0; i + 4 <= file.length; i += 4) if (isEscBlock(file, i)) escapes++;
  const padding = (4 - (file.length % 4)) % 4;
  const out = new Uint8Array(8 + file.length + escapes * 4 + padding + 8);
  out.set(START_SEQUENCE, 0);
  let o = 8;
  if (escapes === 0) {
    out.set(file, o);
    o += file.length;
  } else {
    for (let i = 0; i < file.length; i += 4) {
      const block = file.subarray(i, Math.min(i + 4, file.length));
      out.set(block, o);
      o += block.length;
      if (block.length === 4 && isEscBlock(file, i)) {
        out.set(block, o);
        o += 4;
      }
    }
  }
  o += padding; // zero fill
  out[o++] = ESC;
  out[o++] = ESC;
  out[o++] = ESC;
  out[o++] = ESC;
  out[o++] = END_MARK;
  out[o++] = padding;
  const [c0, c1] = crcToWire(crc16(variant, out, 0, o));
  out[o++] = c0;
  out[o++] = c1;
  return out;
}

function isEscBlock(b: Uint8Array, i: number): boolean {
  return b[i] === ESC && b[i + 1] === ESC && b[i + 2] === ESC && b[i + 3] === ESC;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
