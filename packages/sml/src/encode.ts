/**
 * The encoder facade: what a simulated SML meter (or a test) needs to produce bytes a real
 * gateway would accept. The per-type writers live beside their readers (tlv.ts, time.ts,
 * value.ts, entries.ts, bodies.ts, messages.ts, transport.ts); this module puts them together:
 *
 *   encodeSmlFrame(messages)        messages → SML file → transport frame
 *   buildMeterReading(spec)         the usual push-meter file: Open.Res, GetList.Res, Close.Res
 *   encodeMeterReading(spec)        both of the above
 *
 * Everything is deterministic: no clock, no randomness. Transaction ids derive from `fileId`.
 */
import type { SmlMessageBody } from './bodies.js';
import type { CrcVariant } from './crc.js';
import type { SmlListEntry, SmlStatus } from './entries.js';
import { encodeError } from './errors.js';
import { encodeSmlFile, type SmlMessage } from './messages.js';
import { parseObis } from './obis.js';
import type { SmlTime } from './time.js';
import { encodeTransportFrame } from './transport.js';
import { DLMS_UNITS } from './units.js';
import type { SmlValue } from './value.js';

export interface FrameEncodeOptions {
  /** CRC variant for the messages and the frame (default 'x25'; 'kermit' imitates Holley DTZ541). */
  readonly crc?: CrcVariant;
}

/** Messages → one transport frame, ready for the wire. */
export function encodeSmlFrame(messages: readonly SmlMessage[], options: FrameEncodeOptions = {}): Uint8Array {
  const crc = options.crc ?? 'x25';
  return encodeTransportFrame(encodeSmlFile(messages, { crc }), { crc });
}

/** A value of a simulated meter's list. Plain numbers are raw integers (value × 10^-scaler). */
export interface MeterValueSpec {
  /** OBIS as text (`1-0:1.8.0*255`) or the 6 bytes. */
  readonly obis: string | Uint8Array;
  /**
   * number/bigint: the raw integer, sent as a signed Integer of the smallest standard size
   * (1, 2, 4 or 8 bytes); string: an octet string of its UTF-8 bytes; or an exact SmlValue.
   */
  readonly value: number | bigint | string | Uint8Array | boolean | SmlValue;
  /** DLMS unit code or symbol ('Wh', 'W', 'V', …). */
  readonly unit?: number | string;
  readonly scaler?: number;
  readonly status?: SmlStatus;
  readonly valTime?: SmlTime;
  readonly valueSignature?: Uint8Array;
}

export interface MeterReadingSpec {
  /** The meter's server ID (e.g. 0A 01 'EMH' 00 <serial>). */
  readonly serverId: Uint8Array;
  readonly values: readonly MeterValueSpec[];
  /** A file counter: transaction ids and reqFileId derive from it (default 0). */
  readonly fileId?: number;
  readonly listName?: Uint8Array;
  readonly actSensorTime?: SmlTime;
  readonly clientId?: Uint8Array;
}

/** The three messages a push meter (EDL21/eHZ) sends every second or so. */
export function buildMeterReading(spec: MeterReadingSpec): SmlMessage[] {
  const fileId = spec.fileId ?? 0;
  if (!Number.isSafeInteger(fileId) || fileId < 0) throw encodeError(`fileId ${fileId} is not a non-negative integer`);
  const reqFileId = u32(fileId);
  const tid = (i: number): Uint8Array => Uint8Array.of(...reqFileId, i);
  const bodies: SmlMessageBody[] = [
    {
      kind: 'OpenResponse',
      reqFileId,
      serverId: spec.serverId,
      ...(spec.clientId !== undefined && { clientId: spec.clientId }),
    },
    {
      kind: 'GetListResponse',
      serverId: spec.serverId,
      ...(spec.clientId !== undefined && { clientId: spec.clientId }),
      ...(spec.listName !== undefined && { listName: spec.listName }),
      ...(spec.actSensorTime !== undefined && { actSensorTime: spec.actSensorTime }),
      valList: spec.values.map(listEntry),
    },
    { kind: 'CloseResponse' },
  ];
  return bodies.map((body, i) => ({ transactionId: tid(i), groupNo: 0, abortOnError: 0, body }));
}

export function encodeMeterReading(spec: MeterReadingSpec, options: FrameEncodeOptions = {}): Uint8Array {
  return encodeSmlFrame(buildMeterReading(spec), options);
}

function listEntry(v: MeterValueSpec): SmlListEntry {
  const unit = v.unit === undefined ? undefined : unitCode(v.unit);
  return {
    objName: typeof v.obis === 'string' ? parseObis(v.obis) : v.obis,
    ...(v.status !== undefined && { status: v.status }),
    ...(v.valTime !== undefined && { valTime: v.valTime }),
    ...(unit !== undefined && { unit }),
    ...(v.scaler !== undefined && { scaler: v.scaler }),
    value: toSmlValue(v.value),
    ...(v.valueSignature !== undefined && { valueSignature: v.valueSignature }),
  };
}

/** A DLMS unit code from a code or a symbol. */
export function unitCode(unit: number | string): number {
  if (typeof unit === 'number') {
    if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw encodeError(`unit code ${unit} is not 0..255`);
    return unit;
  }
  const u = DLMS_UNITS.find((x) => x.symbol === unit);
  if (u === undefined) throw encodeError(`unknown unit symbol ${JSON.stringify(unit)}`);
  return u.code;
}

const STANDARD_SIZES = [1, 2, 4, 8] as const;

function toSmlValue(v: MeterValueSpec['value']): SmlValue {
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw encodeError(`raw value ${v} is not a safe integer`);
    const big = BigInt(v);
    const size = STANDARD_SIZES.find((n) => big >= -(1n << BigInt(8 * n - 1)) && big < 1n << BigInt(8 * n - 1));
    if (size === undefined) throw encodeError(`raw value ${v} does not fit Integer64`);
    return { type: 'int', size, value: big };
  }
  if (typeof v === 'string') return { type: 'octets', value: new TextEncoder().encode(v) };
  if (typeof v === 'boolean') return { type: 'boolean', value: v };
  if (v instanceof Uint8Array) return { type: 'octets', value: v };
  return v;
}

function u32(n: number): Uint8Array {
  const v = n % 0x1_0000_0000;
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
