/**
 * Helpers of the direct container readers (signed-data-view.ts, auth-enveloped-data-view.ts):
 * they walk strict DER and give up, by returning undefined, on anything that is not the shape
 * they read, so that the caller falls back to the schema parser. Every value they return is one
 * the schema parser returns for the same bytes: OIDs and ANY values go through the schema code
 * itself (cached by their bytes), versions are read only when they are one octet. Sans-I/O.
 */
import { bytesEqual } from '@opensmgw/core';
import { AsnAnyConverter } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { childrenOf, encodingOf, type Tlv } from '../pki/der-structure.js';
import { BytesCache } from './bytes-cache.js';
import { oidOf } from './schema-values.js';

export interface AlgorithmView {
  readonly algorithm: string;
  /** As asn1-schema reads ANY: the TLV's bytes, null for NULL, undefined when absent. */
  readonly parameters: ArrayBuffer | null | undefined;
}

/** The same view of an AlgorithmIdentifier the schema parser produced (the fallback readers). */
export function algorithmViewOf(a: AlgorithmIdentifier): AlgorithmView {
  return { algorithm: a.algorithm, parameters: a.parameters };
}

/** Thrown inside a direct reader for "not the shape it reads". */
class NotOurShape extends Error {}

export function need(ok: boolean | undefined): asserts ok {
  if (!ok) throw new NotOurShape();
}

/** Runs a direct reader: its result, or undefined where it met another shape. */
export function readDirectly<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof NotOurShape) return undefined;
    throw e;
  }
}

/** Empty SETs and SEQUENCEs OF are left to the schema parser (it may read them as absent). */
export function nonEmpty<T>(items: T[]): T[] {
  need(items.length > 0);
  return items;
}

const ANY_VALUES = new BytesCache<boolean>(256, 1024);

/** True when the schema code reads this ANY value (a TLV) and writes exactly these bytes back. */
export function anyReencodes(value: Uint8Array): boolean {
  const check = () => {
    try {
      const parsed = AsnAnyConverter.toASN(new Uint8Array(value).buffer as ArrayBuffer);
      return bytesEqual(new Uint8Array(parsed.toBER(false)), value);
    } catch {
      return false;
    }
  };
  // Values that recur (the content-type OID, parameters) are cached; longer ones are rare.
  return value.length <= 1024 ? ANY_VALUES.get(value, check) : check();
}

/** An OBJECT IDENTIFIER the schema code reads and writes back unchanged. */
export function oidAt(bytes: Uint8Array, t: Tlv | undefined): string {
  need(t?.tag === 0x06);
  const oid = oidOf(encodingOf(bytes, t));
  need(oid?.reencodes);
  return oid.value;
}

/** A one-octet non-negative INTEGER (versions): what asn1-schema reads as a number. */
export function smallIntegerAt(bytes: Uint8Array, t: Tlv | undefined): number {
  need(t?.tag === 0x02 && t.end - t.contentStart === 1);
  const v = bytes[t.contentStart] as number;
  need(v < 0x80);
  return v;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
export function algorithmAt(bytes: Uint8Array, t: Tlv | undefined): AlgorithmView {
  need(t?.tag === 0x30);
  const parts = childrenOf(bytes, t);
  need(parts.length === 1 || parts.length === 2);
  const algorithm = oidAt(bytes, parts[0]);
  const p = parts[1];
  if (p === undefined) return { algorithm, parameters: undefined };
  if (p.tag === 0x05) {
    need(p.end === p.contentStart); // NULL: asn1-schema reads null
    return { algorithm, parameters: null };
  }
  const encoding = encodingOf(bytes, p);
  need(anyReencodes(encoding));
  return { algorithm, parameters: new Uint8Array(encoding).buffer as ArrayBuffer };
}
