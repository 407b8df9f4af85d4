/**
 * The schema parser (asn1-schema on asn1js) gives up on an input of more than 10,000 nodes or
 * with a value over 16 MiB (asn1js's defaults), and it counts nodes it reads speculatively: the
 * content of every OCTET STRING and BIT STRING is tried as BER too. The container readers in
 * signed-data-view.ts and auth-enveloped-data-view.ts walk the DER without that parser; so that
 * they accept nothing the parser would refuse, they take an input only when these limits cannot
 * be reached, and leave anything else to the schema parser (whose answer is then the old one).
 *
 * `nodeBound` is an upper bound on the nodes asn1js counts, computed with one TLV walk: asn1js
 * reads exactly the TLVs of a well-formed tree, plus one speculative read inside each universal
 * primitive OCTET STRING and BIT STRING; a read of arbitrary bytes visits each offset at most
 * once, so it counts at most as many nodes as it has bytes in reach. Sans-I/O.
 */
import type { Tlv } from '../pki/der-structure.js';

/** asn1js DEFAULT_MAX_NODES and DEFAULT_MAX_CONTENT_LENGTH (asn1js 3.x, used by asn1-schema). */
export const SCHEMA_PARSER_MAX_NODES = 10000;
export const SCHEMA_PARSER_MAX_CONTENT = 16 * 1024 * 1024;

/**
 * One TLV with a low tag number and a definite length that fits before `limit`, or undefined
 * (no exception: this runs on random bytes, where most reads fail).
 */
function peekTlv(bytes: Uint8Array, offset: number, limit: number): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) return undefined;
  const first = bytes[offset + 1] as number;
  let length = first;
  let contentStart = offset + 2;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > limit) return undefined;
  return { tag, constructed: (tag & 0x20) !== 0, start: offset, contentStart, end };
}

/** Upper bound of the nodes asn1js counts reading the well-formed TLV `tlv` (and what it holds). */
export function nodeBound(bytes: Uint8Array, tlv: Tlv): number {
  if (!tlv.constructed) return 1 + speculativeBound(bytes, tlv.tag, tlv.contentStart, tlv.end);
  let n = 1;
  for (let at = tlv.contentStart; at < tlv.end; ) {
    const child = peekTlv(bytes, at, tlv.end);
    // Children that are not well formed: asn1js reads no further than the content's bytes.
    if (child === undefined) return 1 + (tlv.end - tlv.contentStart);
    n += nodeBound(bytes, child);
    at = child.end;
  }
  return n;
}

/** Nodes of the speculative BER read inside a primitive OCTET STRING (04) or BIT STRING (03). */
function speculativeBound(bytes: Uint8Array, tag: number, start: number, end: number): number {
  if (tag === 0x04) return start < end ? attemptBound(bytes, start, end) : 0;
  if (tag === 0x03) return bytes[start] === 0 && end - start > 1 ? attemptBound(bytes, start + 1, end) : 0;
  return 0;
}

/**
 * Upper bound of the nodes asn1js counts reading one TLV at `start` from arbitrary bytes that end
 * at `end` (it stops at the first error, and never reads past the TLV's declared end).
 */
function attemptBound(bytes: Uint8Array, start: number, end: number): number {
  const tlv = peekTlv(bytes, start, end);
  if (tlv !== undefined) return nodeBound(bytes, tlv);
  // Not a plain TLV: bound by the bytes the read can reach.
  const first = bytes[start] as number;
  let at = start + 1;
  if ((first & 0x1f) === 0x1f) {
    while (at < end && ((bytes[at] as number) & 0x80) !== 0) at++;
    at++;
  }
  if (at >= end) return 1;
  const l = bytes[at] as number;
  if (l === 0xff) return 1;
  if (l === 0x80) return first & 0x20 ? end - start : 1; // indefinite: runs to the end, primitive: error
  let length: number;
  let contentStart: number;
  if (l < 0x80) {
    length = l;
    contentStart = at + 1;
  } else {
    const count = l & 0x7f;
    if (count > 8 || at + 1 + count > end) return 1;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[at + 1 + i] as number);
    contentStart = at + 1 + count;
  }
  const contentEnd = Math.min(contentStart + length, end);
  if (first & 0x20) return contentEnd - start;
  // A primitive OCTET/BIT STRING is read speculatively even when its length overruns the input.
  return 1 + (first === 0x04 || first === 0x03 ? speculativeBound(bytes, first, contentStart, contentEnd) : 0);
}

/** True when the schema parser's limits cannot refuse the well-formed DER `bytes` (outer TLV `tlv`). */
export function withinSchemaParserLimits(bytes: Uint8Array, tlv: Tlv): boolean {
  return bytes.length <= SCHEMA_PARSER_MAX_CONTENT && nodeBound(bytes, tlv) <= SCHEMA_PARSER_MAX_NODES;
}

/**
 * True when asn1js, reading an OCTET STRING with this content on its own (asn1-schema re-reads
 * each [n] IMPLICIT OCTET STRING that way, e.g. AuthEnvelopedData's encryptedContent), stays
 * within its node limit.
 */
export function octetStringWithinSchemaParserLimits(bytes: Uint8Array, start: number, end: number): boolean {
  return 1 + speculativeBound(bytes, 0x04, start, end) <= SCHEMA_PARSER_MAX_NODES;
}
