/**
 * The wake-up packet codec (sans-I/O): the GWA sends it to a gateway over UDP or SMS to make the
 * gateway open its TLS connection to the pre-configured GWA address (spec notes §5.2).
 *
 * The normative layout ("TR-03109-1 Detailspezifikationen, Kap. 2 Datenstruktur der
 * Wake-Up-Nachricht") was not available to us [M]. This is our own compact format carrying the
 * fields the spec notes name (format/version, recipient SMGW ID, timestamp, GWA signature) plus a
 * sequence number. Version 1, all integers big-endian:
 *
 * | offset | size | field                                                                     |
 * |-------:|-----:|---------------------------------------------------------------------------|
 * |      0 |    2 | magic `57 55` ("WU")                                                      |
 * |      2 |    1 | format version, `01`                                                      |
 * |      3 |    1 | signature algorithm: high nibble curve, low nibble hash (see tables below)|
 * |      4 |   14 | recipient gateway ID: DKE/FLAG device ID, `[Ee][A-Za-z]{3}[0-9]{10}`     |
 * |     18 |    8 | timestamp: uint64, milliseconds since 1970-01-01T00:00:00Z (≤ 2^53-1)     |
 * |     26 |    8 | sequence: uint64, breaks ties between packets of the same millisecond     |
 * |     34 |   2n | ECDSA signature r‖s, each n bytes (n = curve size) over bytes 0..33       |
 *
 * Curve nibble: 1 brainpoolP256r1, 2 brainpoolP384r1, 3 brainpoolP512r1, 4 P-256, 5 P-384.
 * Hash nibble: 1 SHA-256, 2 SHA-384, 3 SHA-512. The default is `11` (brainpoolP256r1, SHA-256,
 * the GWA SIG key of spec notes §5.2 [M]).
 *
 * Choices and why:
 * - Timestamp in milliseconds (uint64) rather than uint32 seconds: window edges (±5 min) are
 *   exact to the millisecond, and there is no 2106 roll-over. Values above 2^53-1 (year 287396)
 *   are malformed so the decoded value is an exact JavaScript number.
 * - A sequence number next to the timestamp: the replay rule (spec notes §5.2: "timestamp newer
 *   than the last accepted one") then becomes "(timestamp, sequence) strictly greater than the
 *   last accepted pair", which lets a GWA send two packets in one millisecond.
 * - Raw r‖s instead of DER: the packet has one fixed size per curve (no length field, no
 *   alternative encodings of one signature), and it is smaller: 98 bytes with a 256-bit curve,
 *   130 with a 384-bit curve — both fit one 140-octet 8-bit SMS; brainpoolP512r1 (162) does not.
 * - The packet carries no address, port or command: the gateway connects only to the GWA
 *   address in its configuration (spec notes §5.2, §17 item 6).
 *
 * Any input that is not exactly this layout is `SMGW_WAKEUP_MALFORMED` with a `detail.reason`;
 * the decoder throws nothing else.
 */

import { CURVES, type CurveName, type HashName } from '../curves.js';
import { WakeupError } from '../errors.js';
import { GATEWAY_ID_LENGTH, isGatewayId } from '../gateway-id.js';

export const WAKEUP_MAGIC = Uint8Array.of(0x57, 0x55);
export const WAKEUP_VERSION = 1;
/** Bytes before the signature: the signed part of every version-1 packet. */
export const WAKEUP_BODY_LENGTH = 34;
/** The largest packet this codec produces or accepts (brainpoolP512r1). */
export const WAKEUP_MAX_LENGTH = WAKEUP_BODY_LENGTH + 2 * 64;
/** An 8-bit data SMS carries 140 octets: packets on 256- and 384-bit curves fit. */
export const SMS_MAX_OCTETS = 140;

const CURVE_CODES: Readonly<Record<CurveName, number>> = {
  brainpoolP256r1: 1,
  brainpoolP384r1: 2,
  brainpoolP512r1: 3,
  'P-256': 4,
  'P-384': 5,
};
const HASH_CODES: Readonly<Record<HashName, number>> = { 'SHA-256': 1, 'SHA-384': 2, 'SHA-512': 3 };
const CURVE_BY_CODE = new Map(Object.entries(CURVE_CODES).map(([k, v]) => [v, k as CurveName]));
const HASH_BY_CODE = new Map(Object.entries(HASH_CODES).map(([k, v]) => [v, k as HashName]));

const MAX_UINT64 = (1n << 64n) - 1n;

/** What the GWA decides for each packet. */
export interface WakeupFields {
  /** The recipient gateway's DKE/FLAG ID (14 characters). */
  readonly gatewayId: string;
  /** Milliseconds since the Unix epoch, from the GWA's clock. */
  readonly timestampMs: number;
  /** uint64; only needs to grow within one millisecond. */
  readonly sequence: bigint;
}

/** The signed part: the fields plus the signature algorithm (fixed by the GWA's key). */
export interface WakeupBodyFields extends WakeupFields {
  readonly curve: CurveName;
  readonly hash: HashName;
}

export interface WakeupPacket extends WakeupBodyFields {
  readonly version: number;
  /** The bytes the signature covers (offsets 0..33). */
  readonly signedBytes: Uint8Array;
  /** Raw r‖s, 2 × curve size bytes. */
  readonly signature: Uint8Array;
}

/** Total packet length for a signature on `curve`. */
export function wakeupPacketLength(curve: CurveName): number {
  return WAKEUP_BODY_LENGTH + 2 * CURVES[curve].size;
}

function badArgument(message: string, detail: Record<string, unknown>): WakeupError {
  return new WakeupError('SMGW_WAKEUP_BAD_ARGUMENT', message, { detail });
}

function malformed(message: string, detail: Record<string, unknown>): WakeupError {
  return new WakeupError('SMGW_WAKEUP_MALFORMED', `wake-up packet: ${message}`, { detail });
}

/** Throws SMGW_WAKEUP_BAD_ARGUMENT unless `id` is a 14-character DKE/FLAG ID. */
export function checkGatewayId(id: unknown): string {
  if (!isGatewayId(id)) {
    throw badArgument(`gateway ID must be E + 3 letters + 10 digits (e.g. EOSM0100000001)`, {
      field: 'gatewayId',
    });
  }
  return id;
}

/** The 34 signed bytes for `fields`. SMGW_WAKEUP_BAD_ARGUMENT for a field out of range. */
export function encodeWakeupBody(fields: WakeupBodyFields): Uint8Array {
  if (typeof fields !== 'object' || fields === null) throw badArgument('fields must be an object', {});
  if (typeof fields.curve !== 'string' || !Object.hasOwn(CURVE_CODES, fields.curve)) {
    throw badArgument(`unsupported curve ${String(fields.curve)}`, { field: 'curve' });
  }
  if (typeof fields.hash !== 'string' || !Object.hasOwn(HASH_CODES, fields.hash)) {
    throw badArgument(`unsupported hash ${String(fields.hash)}`, { field: 'hash' });
  }
  const curveCode = CURVE_CODES[fields.curve];
  const hashCode = HASH_CODES[fields.hash];
  const gatewayId = checkGatewayId(fields.gatewayId);
  const { timestampMs, sequence } = fields;
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw badArgument('timestamp must be an integer number of milliseconds in 0..2^53-1', { field: 'timestampMs' });
  }
  if (typeof sequence !== 'bigint' || sequence < 0n || sequence > MAX_UINT64) {
    throw badArgument('sequence must be a bigint in 0..2^64-1', { field: 'sequence' });
  }
  const body = new Uint8Array(WAKEUP_BODY_LENGTH);
  const view = new DataView(body.buffer);
  body.set(WAKEUP_MAGIC, 0);
  body[2] = WAKEUP_VERSION;
  body[3] = (curveCode << 4) | hashCode;
  for (let i = 0; i < GATEWAY_ID_LENGTH; i++) body[4 + i] = gatewayId.charCodeAt(i);
  view.setBigUint64(18, BigInt(timestampMs));
  view.setBigUint64(26, sequence);
  return body;
}

/** A body from `encodeWakeupBody` followed by its raw r‖s signature. */
export function assembleWakeupPacket(body: Uint8Array, rawSignature: Uint8Array): Uint8Array {
  const packet = new Uint8Array(body.length + rawSignature.length);
  packet.set(body, 0);
  packet.set(rawSignature, body.length);
  // Decoding our own output checks the signature length against the curve in the header.
  decodeWakeupPacket(packet);
  return packet;
}

/**
 * Parses a packet without verifying it (that is `WakeupVerifier`'s job). Checks, in order:
 * type and minimum length, magic, version, algorithm byte, exact length for the curve,
 * gateway-ID charset, timestamp range. Returns copies, never views into `bytes`.
 */
export function decodeWakeupPacket(bytes: unknown): WakeupPacket {
  if (!(bytes instanceof Uint8Array)) throw malformed('not a byte array', { reason: 'type' });
  if (bytes.length < WAKEUP_BODY_LENGTH) {
    throw malformed(`${bytes.length} bytes, shorter than the ${WAKEUP_BODY_LENGTH}-byte header`, {
      reason: 'length',
      length: bytes.length,
    });
  }
  if (bytes[0] !== WAKEUP_MAGIC[0] || bytes[1] !== WAKEUP_MAGIC[1]) {
    throw malformed('bad magic (expected "WU")', { reason: 'magic', offset: 0 });
  }
  const version = bytes[2] as number;
  if (version !== WAKEUP_VERSION) {
    throw malformed(`unsupported version ${version}`, { reason: 'version', offset: 2, version });
  }
  const alg = bytes[3] as number;
  const curve = CURVE_BY_CODE.get(alg >> 4);
  const hash = HASH_BY_CODE.get(alg & 0x0f);
  if (curve === undefined || hash === undefined) {
    throw malformed(`unknown signature algorithm 0x${alg.toString(16).padStart(2, '0')}`, {
      reason: 'algorithm',
      offset: 3,
      algorithm: alg,
    });
  }
  const expected = wakeupPacketLength(curve);
  if (bytes.length !== expected) {
    throw malformed(`${bytes.length} bytes, expected ${expected} for ${curve}`, {
      reason: 'length',
      length: bytes.length,
      expected,
    });
  }
  let gatewayId = '';
  for (let i = 0; i < GATEWAY_ID_LENGTH; i++) gatewayId += String.fromCharCode(bytes[4 + i] as number);
  if (!isGatewayId(gatewayId)) {
    throw malformed('gateway ID is not E + 3 letters + 10 digits', { reason: 'gatewayId', offset: 4 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const timestamp = view.getBigUint64(18);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw malformed('timestamp beyond 2^53-1 ms', { reason: 'timestamp', offset: 18 });
  }
  return {
    version,
    curve,
    hash,
    gatewayId,
    timestampMs: Number(timestamp),
    sequence: view.getBigUint64(26),
    signedBytes: bytes.slice(0, WAKEUP_BODY_LENGTH),
    signature: bytes.slice(WAKEUP_BODY_LENGTH),
  };
}
