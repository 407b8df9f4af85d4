/**
 * A small DER writer (`tlv`, `derTlv`, `encodeDer`, `setOf`), shared by the PKI builders and CMS:
 * the containers are written from their parts
 * rather than through the schema serialiser, which cost more than the curve arithmetic of a
 * seal (docs/benchmarks-security.md), and each byte is copied once, also for a large payload.
 * DER rules the writer applies itself: definite minimal lengths, and SET OF elements sorted by
 * their encodings (X.690 §11.6; the signed attributes are signed as a DER SET OF, RFC 5652 §5.4,
 * and asn1-schema would write them in the order given).
 */
import { AsnConvert } from '@peculiar/asn1-schema';

export function der(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/** A TLV with a one-byte identifier and a definite, minimal length. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return encodeDer(tlv(tag, content));
}

/** A TLV to be written by `encodeDer`: its parts are encoded values or further TLVs. */
export interface DerTlv {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  /** Length of the content octets. */
  readonly contentLength: number;
  /** Length of the whole encoding. */
  readonly length: number;
}

/** Already encoded bytes, or a TLV still to be written. */
export type DerPart = Uint8Array | DerTlv;

function headerLength(contentLength: number): number {
  if (contentLength < 0x80) return 2;
  if (contentLength <= 0xff) return 3;
  if (contentLength <= 0xffff) return 4;
  if (contentLength <= 0xffffff) return 5;
  return 6;
}

/** A TLV with a one-byte identifier whose content is the concatenation of `parts`. */
export function tlv(tag: number, ...parts: DerPart[]): DerTlv {
  let contentLength = 0;
  for (const p of parts) contentLength += p.length;
  return { tag, parts, contentLength, length: headerLength(contentLength) + contentLength };
}

function write(part: DerPart, out: Uint8Array, at: number): number {
  if (part instanceof Uint8Array) {
    out.set(part, at);
    return at + part.length;
  }
  const n = part.contentLength;
  out[at++] = part.tag;
  const lengthBytes = headerLength(n) - 2;
  if (lengthBytes === 0) out[at++] = n;
  else {
    out[at++] = 0x80 | lengthBytes;
    for (let i = lengthBytes - 1; i >= 0; i--) out[at++] = Math.floor(n / 2 ** (8 * i)) & 0xff;
  }
  for (const p of part.parts) at = write(p, out, at);
  return at;
}

/** The DER of `part`: definite, minimal lengths, every byte copied once. */
export function encodeDer(part: DerPart): Uint8Array {
  if (part instanceof Uint8Array) return part;
  const out = new Uint8Array(part.length);
  write(part, out, 0);
  return out;
}

/** DER SET OF the given TLVs, sorted by their encodings (X.690 §11.6), as a TLV to write. */
export function setOf(elements: readonly DerPart[]): DerTlv {
  return tlv(0x31, ...elements.map((e) => encodeDer(e)).sort(compareDer));
}

/** Byte-wise order of encodings; a shorter encoding that is a prefix sorts first (X.690 §11.6). */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
