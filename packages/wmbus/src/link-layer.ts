/**
 * Link layer: wireless M-Bus frames (EN 13757-4 §5.2 frame formats A and B) and wired M-Bus long
 * frames (EN 13757-2 §5: 68 L L 68 C A CI … CS 16).
 *
 * A wireless frame arrives in one of three shapes and the decoder finds out which:
 * - format A: L counts the bytes after L without CRCs; a CRC follows the 10-byte first block and
 *   every 16-byte block after it (the last block may be shorter);
 * - format B: L counts every byte after L including CRCs; one CRC after the first 126 bytes (or
 *   at the end of a shorter frame) and one at the end of the rest;
 * - already stripped of CRCs by the receiver (most dongles, and all of the wmbusmeters test data):
 *   L + 1 bytes in total.
 * Every CRC present is checked; a wrong one is `SMGW_WMBUS_CRC`.
 */
import { toHex } from '@opensmgw/core';
import { crc16En13757 } from './crc.js';
import { truncated, WmbusError } from './errors.js';
import type { Explain } from './explain.js';

export type FrameFormat = 'A' | 'B' | 'stripped' | 'wired';

export interface WirelessLinkLayer {
  readonly kind: 'wireless';
  readonly format: 'A' | 'B' | 'stripped';
  /** The L field as received (for format B it counts the CRCs). */
  readonly lField: number;
  readonly cField: number;
  readonly mField: number;
  /** Three-letter manufacturer flag of the M field (EN 13757-4 §5.4, FLAG association). */
  readonly manufacturer: string;
  /** Identification number as printed on the meter: the 4 bytes reversed, as hex ("12345678"). */
  readonly id: string;
  readonly version: number;
  readonly deviceType: number;
  readonly medium: string;
  /** M field (2 bytes) as on the wire, for IVs. */
  readonly mBytes: Uint8Array;
  /** A field (ID 4, version, device type) as on the wire, for IVs and the KDF. */
  readonly aBytes: Uint8Array;
}

export interface WiredLinkLayer {
  readonly kind: 'wired';
  readonly format: 'wired';
  readonly lField: number;
  readonly cField: number;
  /** Primary address (EN 13757-2 §5.6); 0xFD means secondary addressing was used. */
  readonly primaryAddress: number;
}

export type LinkLayer = WirelessLinkLayer | WiredLinkLayer;

export interface LinkFrame {
  readonly dll: LinkLayer;
  /** The bytes after the link-layer header, starting at the first CI field, CRCs and checksum removed. */
  readonly payload: Uint8Array;
  /**
   * Offset of `payload[0]` in the CRC-free frame, used as the base of later explain entries:
   * 10 for wireless (L C M A), 6 for wired (68 L L 68 C A).
   */
  readonly payloadOffset: number;
  /**
   * When the frame is longer than its L field says (a stripped frame, decoded to its end): the
   * payload length the L field implies. A layer with its own check (the ELL payload CRC) may
   * prefer it.
   */
  readonly declaredPayloadLength?: number;
}

/** EN 13757-4 Table 4 / EN 13757-2 Table 1: C fields, for explanations only. */
const C_FIELD_NAMES: Readonly<Record<number, string>> = {
  64: 'SND_NKE (link reset)',
  68: 'SND_NR (send, no reply)',
  70: 'SND_IR (installation request)',
  71: 'ACC_NR (access, no reply)',
  72: 'ACC_DMD (access demand)',
  83: 'SND_UD (send user data)',
  115: 'SND_UD (send user data, FCB)',
  90: 'REQ_UD1',
  91: 'REQ_UD2',
  122: 'REQ_UD1 (FCB)',
  123: 'REQ_UD2 (FCB)',
  0: 'ACK',
  6: 'CNF_IR (installation confirm)',
  8: 'RSP_UD (response, user data)',
  24: 'RSP_UD (response, user data, ACD)',
  40: 'RSP_UD (response, user data, DFC)',
  56: 'RSP_UD (response, user data, ACD DFC)',
};

/**
 * Device types ("medium") of EN 13757-3:2018 Table 12 / OMS Vol.2 Table 2 (the A field's last
 * byte, and the long transport header's). Unlisted values are reserved.
 */
const DEVICE_TYPES: Readonly<Record<number, string>> = {
  0: 'other',
  1: 'oil',
  2: 'electricity',
  3: 'gas',
  4: 'heat',
  5: 'steam',
  6: 'warm water',
  7: 'water',
  8: 'heat cost allocator',
  9: 'compressed air',
  10: 'cooling (outlet)',
  11: 'cooling (inlet)',
  12: 'heat (inlet)',
  13: 'heat/cooling',
  14: 'bus/system component',
  15: 'unknown',
  21: 'hot water',
  22: 'cold water',
  23: 'hot/cold water',
  24: 'pressure',
  25: 'a/d converter',
  26: 'smoke detector',
  27: 'room sensor',
  28: 'gas detector',
  32: 'breaker (electricity)',
  33: 'valve (gas or water)',
  37: 'customer unit (display)',
  40: 'waste water',
  41: 'garbage',
  42: 'carbon dioxide',
  49: 'communication controller',
  50: 'unidirectional repeater',
  51: 'bidirectional repeater',
  54: 'radio converter (system side)',
  55: 'radio converter (meter side)',
  56: 'wired adapter',
};

export function mediumName(deviceType: number): string {
  return DEVICE_TYPES[deviceType] ?? 'reserved';
}

export function cFieldName(c: number): string {
  return C_FIELD_NAMES[c] ?? 'unknown';
}

/** The FLAG association of EN 13757-4 §5.4: three letters, 5 bits each, 'A' = 1. */
export function manufacturerFlag(mField: number): string {
  return String.fromCharCode(
    (((mField >> 10) & 0x1f) + 64) as number,
    (((mField >> 5) & 0x1f) + 64) as number,
    ((mField & 0x1f) + 64) as number,
  );
}

export function manufacturerCode(flag: string): number {
  if (!/^[A-Z@]{3}$/.test(flag))
    throw new WmbusError('SMGW_WMBUS_ENCODE', `not a manufacturer flag: ${JSON.stringify(flag)}`);
  return ((flag.charCodeAt(0) - 64) << 10) | ((flag.charCodeAt(1) - 64) << 5) | (flag.charCodeAt(2) - 64);
}

/** The identification number as printed: bytes reversed, hex (BCD digits for a conforming meter). */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).toUpperCase().padStart(2, '0'),
);

export function idToString(id: Uint8Array): string {
  let s = '';
  for (let i = id.length - 1; i >= 0; i--) s += HEX_BYTE[id[i] as number];
  return s;
}

/** Inverse of `idToString`: "12345678" → 78 56 34 12. */
export function idFromString(id: string): Uint8Array {
  if (!/^[0-9A-Fa-f]{8}$/.test(id))
    throw new WmbusError('SMGW_WMBUS_ENCODE', `an id has 8 hex digits, got ${JSON.stringify(id)}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[3 - i] = Number.parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Total length of a format-A frame with this L field (EN 13757-4 §5.2.2). */
export function formatALength(lField: number): number {
  const dataAfterFirstBlock = lField - 9;
  return 1 + lField + 2 + 2 * Math.ceil(Math.max(0, dataAfterFirstBlock) / 16);
}

/** Format B: the frame's bytes up to this offset are covered by the first CRC (EN 13757-4 §5.2.3). */
const FORMAT_B_BLOCK2_END = 126;

function readCrc(frame: Uint8Array, at: number): number {
  return ((frame[at] as number) << 8) | (frame[at + 1] as number);
}

/** A CRC that did not match; an Error is only built when it is thrown (stack capture is costly). */
interface CrcMismatch {
  readonly format: 'A' | 'B';
  readonly block: number;
  readonly stored: number;
  readonly computed: number;
}

function crcError({ format, block, stored, computed }: CrcMismatch): WmbusError {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return new WmbusError(
    'SMGW_WMBUS_CRC',
    `link layer (format ${format}): CRC of block ${block} wrong (stored ${hex(stored)}, computed ${hex(computed)}): ` +
      'the frame was damaged in transit',
    { detail: { format, block } },
  );
}

/** Checks the CRCs of a format-A frame of exactly `formatALength(L)` bytes; returns the CRC-free frame or the error. */
function stripFormatA(frame: Uint8Array, end: number, explain?: Explain): Uint8Array | CrcMismatch {
  const l = frame[0] as number;
  const out = new Uint8Array(l + 1);
  let o = 0;
  let i = 0;
  let block = 1;
  let blockLen = 10;
  while (i < end) {
    const n = Math.min(blockLen, end - i - 2);
    const stored = readCrc(frame, i + n);
    const computed = crc16En13757(frame, i, i + n);
    if (stored !== computed) return { format: 'A', block, stored, computed };
    out.set(frame.subarray(i, i + n), o);
    explain?.push({
      layer: 'dll',
      offset: i + n,
      hex: toHex(frame.subarray(i + n, i + n + 2)),
      text: `CRC of block ${block} (format A), OK`,
    });
    o += n;
    i += n + 2;
    block++;
    blockLen = 16;
  }
  return out;
}

/** Checks the CRCs of a format-B frame of `end` (= L + 1) bytes; returns the CRC-free frame or the error. */
function stripFormatB(frame: Uint8Array, end: number, explain?: Explain): Uint8Array | CrcMismatch | WmbusError {
  // Block 2 ends at byte 126 (its CRC follows); a longer frame has a third block after it.
  const split = end > FORMAT_B_BLOCK2_END + 2;
  const end1 = split ? FORMAT_B_BLOCK2_END : end - 2;
  if (end1 < 0 || (split && end - 2 < FORMAT_B_BLOCK2_END + 2)) {
    return new WmbusError('SMGW_WMBUS_MALFORMED', 'link layer (format B): L field too small for its CRCs');
  }
  // The CRCs are checked before anything is copied: "not format B" is the common answer.
  const stored1 = readCrc(frame, end1);
  const computed1 = crc16En13757(frame, 0, end1);
  if (stored1 !== computed1) return { format: 'B', block: 2, stored: stored1, computed: computed1 };
  const start2 = FORMAT_B_BLOCK2_END + 2;
  if (split) {
    const stored2 = readCrc(frame, end - 2);
    const computed2 = crc16En13757(frame, start2, end - 2);
    if (stored2 !== computed2) return { format: 'B', block: 3, stored: stored2, computed: computed2 };
  }
  const out = new Uint8Array(end1 + (split ? end - 2 - start2 : 0));
  out.set(frame.subarray(0, end1), 0);
  if (split) out.set(frame.subarray(start2, end - 2), end1);
  explain?.push({ layer: 'dll', offset: end1, hex: toHex(frame.subarray(end1, end1 + 2)), text: 'CRC (format B), OK' });
  if (split) {
    explain?.push({
      layer: 'dll',
      offset: end - 2,
      hex: toHex(frame.subarray(end - 2, end)),
      text: 'CRC (format B), OK',
    });
  }
  return out;
}

function isWiredLongFrame(frame: Uint8Array): boolean {
  return (
    frame.length >= 4 &&
    frame[0] === 0x68 &&
    frame[3] === 0x68 &&
    frame[1] === frame[2] &&
    frame.length === (frame[1] as number) + 6 &&
    frame[frame.length - 1] === 0x16
  );
}

function decodeWired(frame: Uint8Array, explain?: Explain): LinkFrame {
  const l = frame[1] as number;
  if (l < 3) {
    // EN 13757-2 §5.4: L = 3 is a control frame (C A CI, no data); smaller is not a frame at all.
    throw new WmbusError(
      'SMGW_WMBUS_UNSUPPORTED',
      `wired M-Bus: L = ${l} is ${l === 3 ? 'a control frame' : 'not a long frame'}; only long frames with user data are decoded`,
    );
  }
  let sum = 0;
  for (let i = 4; i < 4 + l; i++) sum = (sum + (frame[i] as number)) & 0xff;
  const cs = frame[4 + l] as number;
  if (sum !== cs) {
    throw new WmbusError(
      'SMGW_WMBUS_CRC',
      `wired M-Bus: checksum wrong (stored ${cs.toString(16).padStart(2, '0')}, computed ${sum.toString(16).padStart(2, '0')}): the frame was damaged`,
      { detail: { format: 'wired' } },
    );
  }
  if (l === 3) {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', 'wired M-Bus: control frame (L = 3) carries no user data');
  }
  const c = frame[4] as number;
  const a = frame[5] as number;
  explain?.push(
    { layer: 'dll', offset: 0, hex: toHex(frame.subarray(0, 4)), text: `wired M-Bus long frame, L = ${l}` },
    { layer: 'dll', offset: 4, hex: toHex(frame.subarray(4, 5)), text: `C field ${cFieldName(c)}` },
    {
      layer: 'dll',
      offset: 5,
      hex: toHex(frame.subarray(5, 6)),
      text: a === 0xfd ? 'A field FD: secondary addressing' : `A field: primary address ${a}`,
    },
    { layer: 'dll', offset: 4 + l, hex: toHex(frame.subarray(4 + l, 6 + l)), text: 'checksum OK, stop 16' },
  );
  return {
    dll: { kind: 'wired', format: 'wired', lField: l, cField: c, primaryAddress: a },
    payload: frame.subarray(6, 4 + l),
    payloadOffset: 6,
  };
}

/** Diehl group manufacturers (DME, EWT, HYD, SAP, SPL) whose proprietary frames move the A field. */
const DIEHL_MANUFACTURERS: ReadonlySet<string> = new Set(['DME', 'EWT', 'HYD', 'SAP', 'SPL']);

/**
 * How a Diehl-group meter lays out its A field (learned from wmbusmeters'
 * manufacturer_specificities.cc, [I]): in its proprietary "PRIOS" frames (CI A0–A7, B1–B3) and
 * "real data" frames (CI 71, or CI 7A with a manufacturer-specific security mode 16–31) sent as
 * SND_NR/SND_IR, version and device type come first and the ID after them; SAP's PRIOS frames
 * use the version byte as a fifth ID digit pair, and are water meters. Standard OMS frames of the
 * same meters are standard.
 */
export type AddressLayout = 'standard' | 'diehl-swapped' | 'sap-prios';

export function addressLayout(cField: number, manufacturer: string, ci: number, cfgHigh: number): AddressLayout {
  if (!DIEHL_MANUFACTURERS.has(manufacturer) || (cField !== 0x44 && cField !== 0x46)) return 'standard';
  if (ci === 0x71 || (ci === 0x7a && (cfgHigh & 0x10) !== 0)) return 'diehl-swapped';
  if (ci >= 0xa0 && ci <= 0xa7) return manufacturer === 'SAP' ? 'sap-prios' : 'diehl-swapped';
  if (ci >= 0xb1 && ci <= 0xb3) return 'diehl-swapped';
  return 'standard';
}

function wirelessHeader(
  frame: Uint8Array,
  format: WirelessLinkLayer['format'],
  lField: number,
  explain?: Explain,
): WirelessLinkLayer {
  const c = frame[1] as number;
  const m = (frame[2] as number) | ((frame[3] as number) << 8);
  // Copies, not views: a Node Buffer's slice() is a view, and aBytes is rewritten below.
  const mBytes = Uint8Array.prototype.slice.call(frame, 2, 4);
  const aBytes = Uint8Array.prototype.slice.call(frame, 4, 10);
  const manufacturer = manufacturerFlag(m);
  const layout = addressLayout(c, manufacturer, frame[10] as number, (frame[14] ?? 0) as number);
  if (layout === 'diehl-swapped') {
    // Quirk: A field sent as version, type, ID (4); put it in standard order.
    aBytes.set(frame.subarray(6, 10), 0);
    aBytes[4] = frame[4] as number;
    aBytes[5] = frame[5] as number;
  } else if (layout === 'sap-prios') {
    // Quirk: the version byte is part of the serial number; these are water meters.
    aBytes[4] = 0x00;
    aBytes[5] = 0x07;
  }
  const id = idToString(aBytes.subarray(0, 4));
  const version = aBytes[4] as number;
  const deviceType = aBytes[5] as number;
  const medium = mediumName(deviceType);
  explain?.push(
    { layer: 'dll', offset: 0, hex: toHex(frame.subarray(0, 1)), text: `L field ${lField} (frame format ${format})` },
    { layer: 'dll', offset: 1, hex: toHex(frame.subarray(1, 2)), text: `C field ${cFieldName(c)}` },
    { layer: 'dll', offset: 2, hex: toHex(mBytes), text: `M field ${manufacturer}` },
  );
  if (layout === 'standard') {
    explain?.push(
      { layer: 'dll', offset: 4, hex: toHex(aBytes.subarray(0, 4)), text: `identification number ${id}` },
      { layer: 'dll', offset: 8, hex: toHex(aBytes.subarray(4, 5)), text: `version ${version}` },
      { layer: 'dll', offset: 9, hex: toHex(aBytes.subarray(5, 6)), text: `device type ${deviceType} (${medium})` },
    );
  } else {
    explain?.push({
      layer: 'dll',
      offset: 4,
      hex: toHex(frame.subarray(4, 10)),
      text: `A field in ${layout} layout (Diehl proprietary frame): identification number ${id}, version ${version}, device type ${deviceType} (${medium})`,
    });
  }
  return {
    kind: 'wireless',
    format,
    lField,
    cField: c,
    mField: m,
    manufacturer,
    id,
    version,
    deviceType,
    medium,
    mBytes,
    aBytes,
  };
}

/**
 * Decodes the link layer of a wireless frame (format A, B or CRC-stripped, detected) or of a wired
 * long frame. Throws `WmbusError`: TRUNCATED, CRC, MALFORMED, or UNSUPPORTED for frames that carry
 * no user data (E5 acknowledgement, short frames, control frames).
 */
/** The longest frame there is: format A with L = 255 (wired long frames are at most 261 bytes). */
export const MAX_FRAME_LENGTH = formatALength(255);

export function decodeLinkLayer(
  frame: Uint8Array,
  explain?: Explain,
  expect: FrameFormat | 'auto' = 'auto',
): LinkFrame {
  if (frame.length > MAX_FRAME_LENGTH) {
    throw new WmbusError(
      'SMGW_WMBUS_MALFORMED',
      `link layer: ${frame.length} bytes is longer than any M-Bus frame (${MAX_FRAME_LENGTH})`,
      { detail: { length: frame.length } },
    );
  }
  if (expect !== 'auto') return decodeExpected(frame, expect, explain);
  const len = frame.length;
  if (len === 0) throw truncated('link layer', 1, 0, 0);
  if (len === 1 && frame[0] === 0xe5) {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', 'wired M-Bus single character E5 (acknowledgement) carries no data');
  }
  if (len === 5 && frame[0] === 0x10 && frame[4] === 0x16) {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', 'wired M-Bus short frame (10 C A CS 16) carries no user data');
  }
  if (isWiredLongFrame(frame)) return decodeWired(frame, explain);
  if (frame[0] === 0x68 && len >= 4 && frame[3] === 0x68 && frame[1] === frame[2] && len < (frame[1] as number) + 6) {
    throw truncated('wired M-Bus', (frame[1] as number) + 6, 0, len);
  }

  const l = frame[0] as number;
  if (l < 10) {
    throw new WmbusError('SMGW_WMBUS_MALFORMED', `link layer: L field ${l} is too small for a header and a CI field`, {
      detail: { lField: l },
    });
  }
  if (len < 11) throw truncated('link layer', 11, 0, len);

  let stripped: Uint8Array;
  let format: WirelessLinkLayer['format'];
  const crcEntries: Explain = [];
  const aLen = formatALength(l);
  const asA = len >= aLen ? stripFormatA(frame, aLen, crcEntries) : null;
  if (!(asA instanceof Uint8Array)) crcEntries.length = 0;
  if (asA instanceof Uint8Array) {
    // Format A, possibly followed by bytes a receiver appended (RSSI, LQI): they are not covered
    // by the L field and are dropped.
    stripped = asA;
    format = 'A';
  } else if (asA !== null && len === aLen) {
    throw crcError(asA);
  } else if (len >= l + 1) {
    const asB = stripFormatB(frame, l + 1, crcEntries);
    if (asB instanceof Uint8Array) {
      stripped = asB;
      format = 'B';
    } else {
      crcEntries.length = 0;
      stripped = frame;
      format = 'stripped';
    }
  } else {
    throw truncated('link layer', l + 1, 0, len);
  }

  const dll = wirelessHeader(stripped, format, l, explain);
  explain?.push(...crcEntries);
  if (format === 'stripped' && len > l + 1) {
    // Quirk: some receivers report an L field smaller than the frame (wmbusmeters' qwater test
    // telegrams have L 4 too small and their last record beyond L). Like wmbusmeters, decode to
    // the end of the bytes received; a layer with its own length or CRC (ELL) can still tell.
    explain?.push({
      layer: 'dll',
      offset: l + 1,
      hex: toHex(frame.subarray(l + 1)),
      text: `${len - l - 1} byte(s) beyond the L field, decoded as part of the frame`,
    });
  } else if (format !== 'stripped' && len > (format === 'A' ? aLen : l + 1)) {
    const end = format === 'A' ? aLen : l + 1;
    explain?.push({
      layer: 'dll',
      offset: end,
      hex: toHex(frame.subarray(end)),
      text: `${len - end} byte(s) after the frame (appended by the receiver), ignored`,
    });
  }
  const payload = stripped.subarray(10);
  return format === 'stripped' && len > l + 1
    ? { dll, payload, payloadOffset: 10, declaredPayloadLength: l + 1 - 10 }
    : { dll, payload, payloadOffset: 10 };
}

/**
 * A frame whose format the caller knows (a receiver that always delivers one shape). Unlike
 * auto-detection this can tell a damaged format-B frame from a CRC-less one.
 */
function decodeExpected(frame: Uint8Array, expect: FrameFormat, explain?: Explain): LinkFrame {
  if (expect === 'wired') {
    if (frame.length < 6 || frame[0] !== 0x68 || frame[3] !== 0x68 || frame[1] !== frame[2]) {
      throw new WmbusError('SMGW_WMBUS_MALFORMED', 'wired M-Bus: not a long frame (68 L L 68 ...)');
    }
    if (frame.length < (frame[1] as number) + 6)
      throw truncated('wired M-Bus', (frame[1] as number) + 6, 0, frame.length);
    if (!isWiredLongFrame(frame))
      throw new WmbusError('SMGW_WMBUS_MALFORMED', 'wired M-Bus: length or stop byte (16) wrong');
    return decodeWired(frame, explain);
  }
  const len = frame.length;
  if (len === 0) throw truncated('link layer', 1, 0, 0);
  const l = frame[0] as number;
  if (l < 10)
    throw new WmbusError('SMGW_WMBUS_MALFORMED', `link layer: L field ${l} is too small for a header and a CI field`);
  const crcEntries: Explain = [];
  let stripped: Uint8Array;
  if (expect === 'A') {
    const need = formatALength(l);
    if (len < need) throw truncated('link layer (format A)', need, 0, len);
    const r = stripFormatA(frame, need, crcEntries);
    if (!(r instanceof Uint8Array)) throw crcError(r);
    stripped = r;
  } else if (expect === 'B') {
    if (len < l + 1) throw truncated('link layer (format B)', l + 1, 0, len);
    const r = stripFormatB(frame, l + 1, crcEntries);
    if (r instanceof WmbusError) throw r;
    if (!(r instanceof Uint8Array)) throw crcError(r);
    stripped = r;
  } else {
    if (len < l + 1) throw truncated('link layer', l + 1, 0, len);
    stripped = frame;
  }
  const dll = wirelessHeader(stripped, expect, l, explain);
  explain?.push(...crcEntries);
  return { dll, payload: stripped.subarray(10), payloadOffset: 10 };
}

/** Adds the format-A CRCs to a CRC-free frame (L C M A CI …, L = length − 1). */
export function addCrcsFormatA(plain: Uint8Array): Uint8Array {
  const out = new Uint8Array(formatALength(plain[0] as number));
  let i = 0;
  let o = 0;
  let blockLen = 10;
  while (i < plain.length) {
    const n = Math.min(blockLen, plain.length - i);
    out.set(plain.subarray(i, i + n), o);
    const crc = crc16En13757(plain, i, i + n);
    out[o + n] = crc >> 8;
    out[o + n + 1] = crc & 0xff;
    i += n;
    o += n + 2;
    blockLen = 16;
  }
  return out;
}

/** Adds the format-B CRCs to a CRC-free frame and sets L to count them. */
export function addCrcsFormatB(plain: Uint8Array): Uint8Array {
  const firstEnd = FORMAT_B_BLOCK2_END;
  const n = plain.length;
  const total = n <= firstEnd ? n + 2 : n + 4;
  if (total - 1 > 255) throw new WmbusError('SMGW_WMBUS_ENCODE', `format B frame too long (${total} bytes)`);
  const out = new Uint8Array(total);
  out.set(plain);
  out[0] = total - 1;
  if (n <= firstEnd) {
    const crc = crc16En13757(out, 0, n);
    out[n] = crc >> 8;
    out[n + 1] = crc & 0xff;
  } else {
    out.copyWithin(firstEnd + 2, firstEnd, n);
    const c1 = crc16En13757(out, 0, firstEnd);
    out[firstEnd] = c1 >> 8;
    out[firstEnd + 1] = c1 & 0xff;
    const c2 = crc16En13757(out, firstEnd + 2, n + 2);
    out[n + 2] = c2 >> 8;
    out[n + 3] = c2 & 0xff;
  }
  return out;
}
