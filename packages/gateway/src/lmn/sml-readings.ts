/**
 * The sans-I/O half of the SML meter server: bytes of one meter's TLS stream in, the readings
 * of each complete SML file out (docs/wire-protocols.md "SML meter over TLS").
 *
 * The stream must be SML transport v1 frames back to back. Anything else ends the stream with
 * a reason: bytes outside a frame, a frame whose CRC or escapes are wrong, a frame larger than
 * the bound (the only buffer, so memory per connection is bounded), a file that does not decode.
 * A TLS peer has no line noise to excuse, so nothing is skipped.
 *
 * Readings: the entries of GetListResponse messages whose OBIS code is one of the meter's
 * channels, with an integer value (int/uint, exact as decimal text), the entry's scaler and unit;
 * capture time = valTime when it is an absolute time (timestamp, local timestamp: both count
 * seconds since 1970 UTC), else the receive time. Known meter firmware faults are corrected by
 * the sml package's quirks (e.g. DZG power as a negative Integer16).
 */
import { toHex } from '@opensmgw/core';
import { applyListQuirks, decodeSmlFile, dlmsUnitSymbol, type SmlListEntry, SmlTransportSplitter } from '@opensmgw/sml';
import type { NewReading } from '../store/types.js';

export interface SmlMeterChannels {
  readonly meterId: string;
  /** OBIS hex codes to keep. */
  readonly channels: ReadonlySet<string>;
}

export interface SmlStamp {
  readonly receivedAtMs: number;
  readonly smgwStatus: number;
}

/** What one chunk completed: the readings of each whole file, or why the stream is unusable. */
export interface SmlChunkResult {
  /** One entry per complete SML file in the chunk (an empty list: a file without channel values). */
  readonly files: readonly (readonly NewReading[])[];
  /** Set when the stream must be dropped; files before the fault are still valid. */
  readonly error?: string;
}

/** DLMS unit symbols as the store writes them (ASCII: "m3", not "m³"). */
function unitText(code: number | undefined): string {
  const s = dlmsUnitSymbol(code);
  return s === null ? '' : s.replace('³', '3').replace('²', '2');
}

/** The reading of one list entry, if it is a channel of the meter with an integer value. */
export function readingOfEntry(meter: SmlMeterChannels, e: SmlListEntry, stamp: SmlStamp): NewReading | undefined {
  if (e.objName.length !== 6) return undefined;
  const obis = toHex(e.objName).toLowerCase();
  if (!meter.channels.has(obis)) return undefined;
  const v = e.value;
  if (v.type !== 'int' && v.type !== 'uint') return undefined;
  const t = e.valTime;
  const captureTimeMs = t !== undefined && t.type !== 'secIndex' ? t.timestamp * 1000 : stamp.receivedAtMs;
  const meterStatus = e.status !== undefined && e.status.value <= 0xffffffffn ? Number(e.status.value) : undefined;
  return {
    meterId: meter.meterId,
    obis,
    value: v.value.toString(),
    scaler: e.scaler ?? 0,
    unit: unitText(e.unit),
    captureTimeMs,
    smgwStatus: stamp.smgwStatus,
    ...(meterStatus === undefined ? {} : { meterStatus }),
    security: 'tls',
  };
}

/** The channel readings of one SML file, or undefined when the file does not decode. */
export function readingsOfFile(meter: SmlMeterChannels, file: Uint8Array, stamp: SmlStamp): NewReading[] | undefined {
  let decoded: ReturnType<typeof decodeSmlFile>;
  try {
    decoded = decodeSmlFile(file);
  } catch {
    return undefined;
  }
  if (decoded.error !== undefined) return undefined;
  const readings: NewReading[] = [];
  for (const m of decoded.messages) {
    if (m.body.kind !== 'GetListResponse') continue;
    const serverId = m.body.serverId;
    for (const raw of m.body.valList) {
      const r = readingOfEntry(meter, applyListQuirks(serverId, raw).entry, stamp);
      if (r !== undefined) readings.push(r);
    }
  }
  return readings;
}

/** One meter connection's byte stream. After an error it takes nothing more. */
export class SmlReadingStream {
  readonly #splitter: SmlTransportSplitter;
  #failed = false;

  constructor(options: { readonly maxFrameBytes: number }) {
    this.#splitter = new SmlTransportSplitter({ maxFrameBytes: options.maxFrameBytes });
  }

  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Feeds a chunk. `stamp` is asked for once per complete file (its receive time and status).
   * Never throws for any bytes.
   */
  push(meter: SmlMeterChannels, chunk: Uint8Array, stamp: () => SmlStamp): SmlChunkResult {
    if (this.#failed) return { files: [], error: 'stream already failed' };
    const files: NewReading[][] = [];
    const fail = (error: string): SmlChunkResult => {
      this.#failed = true;
      return { files, error };
    };
    let events: ReturnType<SmlTransportSplitter['push']>;
    try {
      events = this.#splitter.push(chunk);
    } catch {
      return fail('SML transport: internal error');
    }
    for (const ev of events) {
      if (ev.kind === 'fault') return fail(`SML transport: ${ev.error.code}`);
      const readings = readingsOfFile(meter, ev.file, stamp());
      if (readings === undefined) return fail('SML file does not decode');
      files.push(readings);
    }
    // Checked after the frames: garbage after a good frame in the same chunk does not undo it.
    if (this.#splitter.garbageBytes > 0) return fail('SML stream: bytes outside a transport frame');
    return { files };
  }
}
