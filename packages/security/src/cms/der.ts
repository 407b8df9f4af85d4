/**
 * The few DER rules the containers must apply themselves: asn1-schema writes SET OF elements in
 * the order given, while DER (X.690 §11.6) sorts them by their encodings, and the signed
 * attributes are signed as a DER SET OF (RFC 5652 §5.4).
 */
import { concatBytes } from '@opensmgw/core';
import { AsnConvert } from '@peculiar/asn1-schema';

export function der(value: unknown): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/** A TLV with a one-byte identifier and a definite, minimal length. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let header: Uint8Array;
  if (n < 0x80) header = Uint8Array.of(tag, n);
  else if (n <= 0xff) header = Uint8Array.of(tag, 0x81, n);
  else if (n <= 0xffff) header = Uint8Array.of(tag, 0x82, n >> 8, n & 0xff);
  else if (n <= 0xffffff) header = Uint8Array.of(tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  else header = Uint8Array.of(tag, 0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  return concatBytes(header, content);
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

/** Sorts values by their DER encodings, as a DER SET OF must list them. */
export function sortForSetOf<T>(values: readonly T[]): T[] {
  return values
    .map((v) => ({ v, d: der(v) }))
    .sort((x, y) => compareDer(x.d, y.d))
    .map((x) => x.v);
}

/** DER SET OF the given (already encoded) elements, sorted. */
export function derSetOf(elements: readonly Uint8Array[]): Uint8Array {
  return derTlv(0x31, concatBytes(...[...elements].sort(compareDer)));
}
