/**
 * A strict DER TLV walker. @peculiar/asn1-schema (through asn1js) reads BER and ignores bytes
 * after the outer object, so a certificate with trailing garbage, indefinite lengths or
 * non-minimal encodings would parse. Signatures are computed over DER (X.690 §10, RFC 5280
 * §4.1.1.3), so a parser that accepts other encodings invites ambiguity between what was signed
 * and what we read. Every certificate and CRL goes through `checkDer` before the schema parser.
 * Sans-I/O.
 */
import { PkiError } from '../errors.js';

export interface Tlv {
  /** The identifier octet (single-byte tags only: every tag in X.509 is < 31). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet in the buffer. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset one past the last content octet. */
  readonly end: number;
}

/** Nesting bound: X.509 structures are a dozen levels deep; hostile input could be thousands. */
const MAX_DEPTH = 48;

function malformed(message: string, offset: number): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `DER: ${message} at offset ${offset}`, { detail: { offset } });
}

/** Reads one TLV at `offset` that must end no later than `limit`. */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw malformed('truncated header', offset);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag numbers are not used in X.509', offset);
  const first = bytes[offset + 1] as number;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw malformed('indefinite length (BER, not DER)', offset);
    if (n > 4) throw malformed('length field longer than 4 bytes', offset);
    if (offset + 2 + n > limit) throw malformed('truncated length', offset);
    if (bytes[offset + 2] === 0) throw malformed('non-minimal length', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    if (length < 0x80) throw malformed('non-minimal length', offset);
    contentStart = offset + 2 + n;
  }
  const end = contentStart + length;
  if (end > limit) throw malformed('length runs past the end of its container', offset);
  return { tag, constructed: (tag & 0x20) !== 0, start: offset, contentStart, end };
}

/** The children of a constructed TLV, each checked to fit exactly. */
export function childrenOf(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.contentStart;
  while (at < parent.end) {
    const child = readTlv(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Universal tags that DER requires to be primitive (X.690 §10.2): strings, BOOLEAN, INTEGER. */
const PRIMITIVE_ONLY = new Set([
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1e,
]);

/**
 * Checks that `bytes` is exactly one DER object: definite minimal lengths, nothing after it,
 * primitive strings, DER BOOLEAN (00/FF) and minimal INTEGERs, recursively. Returns the outer TLV.
 */
export function checkDer(bytes: Uint8Array): Tlv {
  const outer = readTlv(bytes, 0);
  if (outer.end !== bytes.length) throw malformed(`${bytes.length - outer.end} bytes after the object`, outer.end);
  walk(bytes, outer, 0);
  return outer;
}

function walk(bytes: Uint8Array, tlv: Tlv, depth: number): void {
  if (depth > MAX_DEPTH) throw malformed('nested too deeply', tlv.start);
  if (tlv.constructed) {
    if ((tlv.tag & 0xc0) === 0 && PRIMITIVE_ONLY.has(tlv.tag & 0x1f)) {
      throw malformed(`constructed encoding of universal tag ${tlv.tag & 0x1f} (BER, not DER)`, tlv.start);
    }
    for (const child of childrenOf(bytes, tlv)) walk(bytes, child, depth + 1);
    return;
  }
  const len = tlv.end - tlv.contentStart;
  if (tlv.tag === 0x01 && (len !== 1 || (bytes[tlv.contentStart] !== 0 && bytes[tlv.contentStart] !== 0xff))) {
    throw malformed('BOOLEAN must be one byte 00 or FF', tlv.start);
  }
  if (tlv.tag === 0x02) {
    if (len === 0) throw malformed('empty INTEGER', tlv.start);
    const b0 = bytes[tlv.contentStart] as number;
    const b1 = len > 1 ? (bytes[tlv.contentStart + 1] as number) : -1;
    if (len > 1 && ((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80))) {
      throw malformed('non-minimal INTEGER', tlv.start);
    }
  }
  if (tlv.tag === 0x03) {
    const unused = len === 0 ? -1 : (bytes[tlv.contentStart] as number);
    // X.690 §11.2.1: 0..7 unused bits, none in an empty string, and the unused bits are zero.
    if (unused < 0 || unused > 7 || (len === 1 && unused !== 0)) {
      throw malformed('BIT STRING without a valid unused-bits octet', tlv.start);
    }
    if (unused > 0 && ((bytes[tlv.end - 1] as number) & ((1 << unused) - 1)) !== 0) {
      throw malformed('BIT STRING with non-zero unused bits', tlv.start);
    }
  }
}

/** The content octets of a primitive TLV. */
export function contentOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding (header and content) of a TLV. */
export function encodingOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/**
 * Checks the shape of an AlgorithmIdentifier outside the signed part of a certificate or CRL:
 * SEQUENCE { OBJECT IDENTIFIER, parameters? }. The schema parser does not check these tags, so
 * without this a changed tag would give different bytes that still parse and verify.
 */
export function checkAlgorithmIdentifier(bytes: Uint8Array, tlv: Tlv): void {
  if (tlv.tag !== 0x30) throw malformed('AlgorithmIdentifier is not a SEQUENCE', tlv.start);
  const parts = childrenOf(bytes, tlv);
  if (parts.length < 1 || parts.length > 2 || parts[0]?.tag !== 0x06) {
    throw malformed('AlgorithmIdentifier is not SEQUENCE { OID, parameters? }', tlv.start);
  }
}
