/**
 * What the schema parser (@peculiar/asn1-schema) makes of the small values that recur in every
 * container, OBJECT IDENTIFIERs and issuer Names, cached by their bytes. The container readers
 * (signed-data-view.ts, auth-enveloped-data-view.ts) walk the DER themselves and ask here, so
 * that every value they return is the one the schema parser returns for the same bytes: the
 * readers change the speed, not the meaning. Pure functions; sans-I/O.
 */
import { bytesEqual } from '@opensmgw/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { der } from '../der-writer.js';
import { BytesCache } from './bytes-cache.js';
import { ObjectIdentifierValue } from './cms-asn1.js';

export interface ParsedOid {
  /** The dotted form, as the schema parser reads it. */
  readonly value: string;
  /** True when the schema serialiser writes exactly these bytes back for `value`. */
  readonly reencodes: boolean;
}

const OIDS = new BytesCache<ParsedOid | null>(256, 64);

/** An OBJECT IDENTIFIER TLV read by the schema parser; null when the parser refuses it. */
export function oidOf(tlv: Uint8Array): ParsedOid | null {
  return OIDS.get(tlv, () => {
    let value: string;
    try {
      value = AsnConvert.parse(tlv, ObjectIdentifierValue).value;
    } catch {
      return null;
    }
    let reencodes = false;
    try {
      reencodes = bytesEqual(der(new ObjectIdentifierValue(value)), tlv);
    } catch {
      // reencodes stays false
    }
    return { value, reencodes };
  });
}

const OID_ENCODINGS = new Map<string, Uint8Array>();

/**
 * The DER the schema serialiser writes for an OID, computed once per OID (a caller's own content
 * type included; at most 256 are kept). Throws what the serialiser throws for a bad OID string.
 * Callers must not change the returned bytes.
 */
export function oidDer(oid: string): Uint8Array {
  let encoding = OID_ENCODINGS.get(oid);
  if (encoding === undefined) {
    encoding = der(new ObjectIdentifierValue(oid));
    if (OID_ENCODINGS.size < 256) OID_ENCODINGS.set(oid, encoding);
  }
  return encoding;
}

const NAMES = new BytesCache<Uint8Array>(64, 4096);

/**
 * The DER a Name re-encodes to after the schema parser read it (what an IssuerAndSerialNumber
 * built from, or read into, asn1-schema objects carries). Throws what the parser or the
 * serialiser throws. Callers must not change the returned bytes.
 */
export function reencodedName(name: Uint8Array): Uint8Array {
  return NAMES.get(name, () => der(AsnConvert.parse(name, Name)));
}

/** `reencodedName`, or undefined where that throws. */
export function reencodedNameOrUndefined(name: Uint8Array): Uint8Array | undefined {
  try {
    return reencodedName(name);
  } catch {
    return undefined;
  }
}
