/**
 * Distinguished names as ordered attribute lists (RFC 5280 §4.1.2.4), with the helpers the
 * SM-PKI profile needs (CN, O, C, serialNumber: spec notes §4) and RFC 5280 §7.1 name matching
 * for chain building. Sans-I/O.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { PkiError } from '../errors.js';

/**
 * The attribute types (X.520) we name, read and write (certificate-builder.ts writes them as
 * NAME_ATTRIBUTE_OIDS); others are shown by OID. The key order is the one `smgw pki csr` lists.
 */
export const DN_ATTRIBUTE_OIDS = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
} as const;

export type DnAttributeKey = keyof typeof DN_ATTRIBUTE_OIDS;

const SHORT_NAMES: ReadonlyMap<string, DnAttributeKey> = new Map(
  Object.entries(DN_ATTRIBUTE_OIDS).map(([k, v]) => [v, k as DnAttributeKey]),
);

/** Our short name (CN, O, ...) of an attribute type OID, if we name it. */
export function dnAttributeKey(oid: string): DnAttributeKey | undefined {
  return SHORT_NAMES.get(oid);
}

export type NameStringType =
  | 'printableString'
  | 'utf8String'
  | 'ia5String'
  | 'teletexString'
  | 'bmpString'
  | 'universalString'
  | 'other';

export interface DnAttribute {
  readonly oid: string;
  /** CN, O, C, ... when known. */
  readonly key?: DnAttributeKey;
  /** The string value; for a non-string value `#` + hex of its DER (RFC 4514 §2.4). */
  readonly value: string;
  readonly stringType: NameStringType;
}

export interface DistinguishedName {
  /** RDNs in encoded order, each a set of attributes (almost always one). */
  readonly rdns: readonly (readonly DnAttribute[])[];
  /** All attributes flattened, in encoded order. */
  readonly attributes: readonly DnAttribute[];
  /** The exact DER of the Name as it appears in the certificate. */
  readonly der: Uint8Array;
  /** `CN=...,O=...,C=DE` in encoded order (not RFC 4514's reversed order: easier to compare with specs). */
  readonly text: string;
}

/** Parses a DER Name. SMGW_PKI_MALFORMED on anything else. */
export function parseName(der: Uint8Array): DistinguishedName {
  let name: Name;
  try {
    name = AsnConvert.parse(der, Name);
  } catch (e) {
    throw new PkiError('SMGW_PKI_MALFORMED', 'distinguished name: not a DER Name', { cause: e });
  }
  const rdns: DnAttribute[][] = [];
  for (const rdn of name) {
    const set: DnAttribute[] = [];
    for (const atv of rdn) {
      const v = atv.value;
      let value: string;
      let stringType: NameStringType;
      if (v.printableString !== undefined) [value, stringType] = [v.printableString, 'printableString'];
      else if (v.utf8String !== undefined) [value, stringType] = [v.utf8String, 'utf8String'];
      else if (v.ia5String !== undefined) [value, stringType] = [v.ia5String, 'ia5String'];
      else if (v.teletexString !== undefined) [value, stringType] = [v.teletexString, 'teletexString'];
      else if (v.bmpString !== undefined) [value, stringType] = [v.bmpString, 'bmpString'];
      else if (v.universalString !== undefined) [value, stringType] = [v.universalString, 'universalString'];
      else [value, stringType] = [`#${Buffer.from(v.anyValue ?? new ArrayBuffer(0)).toString('hex')}`, 'other'];
      const key = SHORT_NAMES.get(atv.type);
      set.push(key === undefined ? { oid: atv.type, value, stringType } : { oid: atv.type, key, value, stringType });
    }
    rdns.push(set);
  }
  const attributes = rdns.flat();
  const text = attributes.map((a) => `${a.key ?? a.oid}=${escapeValue(a.value)}`).join(',');
  return { rdns, attributes, der: new Uint8Array(der), text };
}

function escapeValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
}

/** Every value of an attribute (`'CN'`, `'O'`, ... or an OID), in order. */
export function nameValues(name: DistinguishedName, type: DnAttributeKey | string): string[] {
  const oid = (DN_ATTRIBUTE_OIDS as Record<string, string>)[type] ?? type;
  return name.attributes.filter((a) => a.oid === oid).map((a) => a.value);
}

/** The single value of an attribute, or undefined when absent or repeated. */
export function nameValue(name: DistinguishedName, type: DnAttributeKey | string): string | undefined {
  const values = nameValues(name, type);
  return values.length === 1 ? values[0] : undefined;
}

export const commonName = (name: DistinguishedName): string | undefined => nameValue(name, 'CN');
export const organization = (name: DistinguishedName): string | undefined => nameValue(name, 'O');
export const country = (name: DistinguishedName): string | undefined => nameValue(name, 'C');
export const subjectSerialNumber = (name: DistinguishedName): string | undefined => nameValue(name, 'serialNumber');

/**
 * RFC 5280 §7.1 name matching, simplified: equal DER, or the same RDN sequence with string values
 * compared after trimming, collapsing inner spaces and case folding (the RFC 4518 essentials).
 */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.der.length === b.der.length && Buffer.from(a.der).equals(Buffer.from(b.der))) return true;
  if (a.rdns.length !== b.rdns.length) return false;
  return a.rdns.every((rdn, i) => {
    const other = b.rdns[i] ?? [];
    if (rdn.length !== other.length) return false;
    const key = (x: DnAttribute): string => `${x.oid}=${prepare(x.value)}`;
    const left = rdn.map(key).sort();
    const right = other.map(key).sort();
    return left.every((k, j) => k === right[j]);
  });
}

function prepare(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toLowerCase();
}
