/**
 * The CRC-16 of SML (SML 1.04 §8.1 transport end sequence, §6.2 SML_Message.crc16).
 *
 * SML uses CRC-16/X.25 (the HDLC FCS of ISO/IEC 13239: reflected polynomial 0x1021, init 0xFFFF,
 * final XOR 0xFFFF). Some meters — Holley DTZ541 is the known one — compute CRC-16/KERMIT instead
 * (same reflected polynomial, init 0, no final XOR); libsml accepts both, and so do we.
 *
 * Byte order: the CRC goes on the wire low byte first, as the HDLC FCS does. Read as the SML
 * `Unsigned16` (big-endian) of the message's crc16 field, that is the byte-swapped CRC.
 */

export type CrcVariant = 'x25' | 'kermit';

/** Reflected form of the CCITT polynomial 0x1021. */
const POLY_REFLECTED = 0x8408;

/** One table serves both variants: they differ only in init and final XOR. */
const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[n] = c;
  }
  return t;
})();

const PARAMS: Readonly<Record<CrcVariant, { init: number; xorOut: number }>> = {
  x25: { init: 0xffff, xorOut: 0xffff },
  kermit: { init: 0x0000, xorOut: 0x0000 },
};

/**
 * The CRC of `bytes[start, end)` as the catalogue defines it (check values for "123456789":
 * X.25 0x906E, KERMIT 0x2189).
 */
export function crc16(variant: CrcVariant, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const { init, xorOut } = PARAMS[variant];
  let crc = init;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return (crc ^ xorOut) & 0xffff;
}

export function crc16X25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc16('x25', bytes, start, end);
}

export function crc16Kermit(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc16('kermit', bytes, start, end);
}

/** The two wire bytes of a CRC value (low byte first). */
export function crcToWire(crc: number): [number, number] {
  return [crc & 0xff, (crc >>> 8) & 0xff];
}

/** The CRC value carried by two wire bytes (low byte first). */
export function crcFromWire(b0: number, b1: number): number {
  return (b0 | (b1 << 8)) & 0xffff;
}

/**
 * Which variant, if any, produced `expected` (a CRC value, as `crcFromWire` returns it) over
 * `bytes[start, end)`. X.25 is tried first because it is the standard.
 */
export function matchCrc(expected: number, bytes: Uint8Array, start = 0, end = bytes.length): CrcVariant | null {
  if (crc16('x25', bytes, start, end) === expected) return 'x25';
  if (crc16('kermit', bytes, start, end) === expected) return 'kermit';
  return null;
}
