/**
 * Decoded views of the X.509 extensions the SM-PKI profile talks about (spec notes §4,
 * TR-03109-4 §A.2): KU, EKU, BC, SKI, AKI, certificate policies, SAN, IAN, CRLDP, PKUP, and the
 * CRL extensions (CRL number, reason code, invalidity date). Each decoder takes the extnValue
 * octets and throws SMGW_PKI_MALFORMED for anything it cannot read. Sans-I/O.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  CRLReason,
  ExtendedKeyUsage,
  type GeneralName,
  GeneralNames,
  InvalidityDate,
  KeyUsage,
  PrivateKeyUsagePeriod,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { PkiError } from '../errors.js';
import { checkDer, contentOf } from './der-structure.js';

/** Extension OIDs (RFC 5280 §4.2), by the names we use. */
export const KNOWN_EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  privateKeyUsagePeriod: '2.5.29.16',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export type KnownExtensionName = keyof typeof KNOWN_EXTENSION_OIDS;

const NAMES_BY_OID: ReadonlyMap<string, KnownExtensionName> = new Map(
  Object.entries(KNOWN_EXTENSION_OIDS).map(([k, v]) => [v, k as KnownExtensionName]),
);

export function knownExtensionName(oid: string): KnownExtensionName | undefined {
  return NAMES_BY_OID.get(oid);
}

/** RFC 5280 §4.2.1.3 bit order. */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

/** Key purposes (RFC 5280 §4.2.1.12) we name. */
export const KEY_PURPOSE_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

export type KeyPurposeName = keyof typeof KEY_PURPOSE_OIDS;

export interface GeneralNameView {
  readonly type: 'dns' | 'uri' | 'email' | 'ip' | 'dirName' | 'registeredId' | 'otherName' | 'x400' | 'ediParty';
  /** Text form: the name for dns/uri/email/ip, an OID for registeredId/otherName, hex otherwise. */
  readonly value: string;
}

export interface AuthorityKeyIdView {
  readonly keyIdentifier?: Uint8Array;
  readonly issuer?: readonly GeneralNameView[];
  /** authorityCertSerialNumber as lowercase hex, leading zero bytes stripped. */
  readonly serial?: string;
}

export interface BasicConstraintsView {
  readonly cA: boolean;
  readonly pathLen?: number;
}

export interface DistributionPointView {
  readonly fullName?: readonly GeneralNameView[];
  /** nameRelativeToCRLIssuer is present (we do not resolve it). */
  readonly relativeName: boolean;
  readonly crlIssuer?: readonly GeneralNameView[];
}

export interface CrlDistributionPointsView {
  readonly points: readonly DistributionPointView[];
  /** Every URI of every full name, in order. */
  readonly uris: readonly string[];
}

export interface PrivateKeyUsagePeriodView {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

function bad(what: string, cause?: unknown): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `${what}: malformed extension value`, cause === undefined ? {} : { cause });
}

/** Parses `value` (extnValue contents) as `type`, checked to be exactly one DER object first. */
function parseAs<T>(what: string, value: Uint8Array, type: new () => T): T {
  try {
    checkDer(value);
    return AsnConvert.parse(value, type);
  } catch (e) {
    throw bad(what, e);
  }
}

/** Hex of an unsigned big-endian integer's bytes, leading zero bytes stripped (at least "00"). */
export function integerHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex') || '00';
}

export function generalNameView(g: GeneralName): GeneralNameView {
  if (g.dNSName !== undefined) return { type: 'dns', value: g.dNSName };
  if (g.uniformResourceIdentifier !== undefined) return { type: 'uri', value: g.uniformResourceIdentifier };
  if (g.rfc822Name !== undefined) return { type: 'email', value: g.rfc822Name };
  if (g.iPAddress !== undefined) return { type: 'ip', value: g.iPAddress };
  if (g.registeredID !== undefined) return { type: 'registeredId', value: g.registeredID };
  if (g.otherName !== undefined) return { type: 'otherName', value: g.otherName.typeId };
  if (g.directoryName !== undefined) {
    return { type: 'dirName', value: Buffer.from(AsnConvert.serialize(g.directoryName)).toString('hex') };
  }
  if (g.x400Address !== undefined) return { type: 'x400', value: Buffer.from(g.x400Address).toString('hex') };
  return { type: 'ediParty', value: '' };
}

function namesView(what: string, names: readonly GeneralName[]): GeneralNameView[] {
  try {
    return names.map(generalNameView);
  } catch (e) {
    throw bad(what, e);
  }
}

export function decodeKeyUsage(value: Uint8Array): ReadonlySet<KeyUsageBit> {
  // Read the BIT STRING ourselves: bit i is the i-th most significant bit after the unused-bits octet.
  let tlv: ReturnType<typeof checkDer>;
  try {
    tlv = checkDer(value);
  } catch (e) {
    throw bad('keyUsage', e);
  }
  if (tlv.tag !== 0x03) throw bad('keyUsage');
  const content = contentOf(value, tlv);
  const unused = content[0] ?? 0;
  const bits = content.subarray(1);
  const out = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits[i >> 3];
    if (byte === undefined) return;
    if (i >> 3 === bits.length - 1 && 7 - (i & 7) < unused) return;
    if (byte & (0x80 >> (i & 7))) out.add(name);
  });
  // Keep the library's schema check too (it rejects what is not a BIT STRING at all).
  parseAs('keyUsage', value, KeyUsage);
  return out;
}

export function decodeExtKeyUsage(value: Uint8Array): readonly string[] {
  return [...parseAs('extKeyUsage', value, ExtendedKeyUsage)];
}

export function decodeBasicConstraints(value: Uint8Array): BasicConstraintsView {
  const bc = parseAs('basicConstraints', value, BasicConstraints);
  if (bc.pathLenConstraint !== undefined && (!Number.isSafeInteger(bc.pathLenConstraint) || bc.pathLenConstraint < 0)) {
    throw bad('basicConstraints');
  }
  return bc.pathLenConstraint === undefined ? { cA: bc.cA } : { cA: bc.cA, pathLen: bc.pathLenConstraint };
}

export function decodeSubjectKeyId(value: Uint8Array): Uint8Array {
  return new Uint8Array(parseAs('subjectKeyIdentifier', value, SubjectKeyIdentifier).buffer);
}

export function decodeAuthorityKeyId(value: Uint8Array): AuthorityKeyIdView {
  const aki = parseAs('authorityKeyIdentifier', value, AuthorityKeyIdentifier);
  const view: { keyIdentifier?: Uint8Array; issuer?: GeneralNameView[]; serial?: string } = {};
  if (aki.keyIdentifier) view.keyIdentifier = new Uint8Array(aki.keyIdentifier.buffer);
  if (aki.authorityCertIssuer) view.issuer = namesView('authorityKeyIdentifier', aki.authorityCertIssuer);
  if (aki.authorityCertSerialNumber) view.serial = integerHex(new Uint8Array(aki.authorityCertSerialNumber));
  return view;
}

/** The policy OIDs, in order. */
export function decodeCertificatePolicies(value: Uint8Array): readonly string[] {
  return [...parseAs('certificatePolicies', value, CertificatePolicies)].map((p) => p.policyIdentifier);
}

export function decodeGeneralNames(what: 'subjectAltName' | 'issuerAltName', value: Uint8Array): GeneralNameView[] {
  return namesView(what, [...parseAs(what, value, GeneralNames)]);
}

export function decodeCrlDistributionPoints(value: Uint8Array): CrlDistributionPointsView {
  const dps = parseAs('crlDistributionPoints', value, CRLDistributionPoints);
  const points: DistributionPointView[] = [...dps].map((dp) => {
    const p: { fullName?: GeneralNameView[]; relativeName: boolean; crlIssuer?: GeneralNameView[] } = {
      relativeName: dp.distributionPoint?.nameRelativeToCRLIssuer !== undefined,
    };
    if (dp.distributionPoint?.fullName) p.fullName = namesView('crlDistributionPoints', dp.distributionPoint.fullName);
    if (dp.cRLIssuer) p.crlIssuer = namesView('crlDistributionPoints', dp.cRLIssuer);
    return p;
  });
  const uris = points.flatMap((p) => (p.fullName ?? []).filter((n) => n.type === 'uri').map((n) => n.value));
  return { points, uris };
}

export function decodePrivateKeyUsagePeriod(value: Uint8Array): PrivateKeyUsagePeriodView {
  const p = parseAs('privateKeyUsagePeriod', value, PrivateKeyUsagePeriod);
  const view: { notBefore?: Date; notAfter?: Date } = {};
  if (p.notBefore) view.notBefore = p.notBefore;
  if (p.notAfter) view.notAfter = p.notAfter;
  return view;
}

/** CRL number (RFC 5280 §5.2.3) as hex: it may be up to 20 octets, more than a JS number holds. */
export function decodeCrlNumber(value: Uint8Array): string {
  let tlv: ReturnType<typeof checkDer>;
  try {
    tlv = checkDer(value);
  } catch (e) {
    throw bad('cRLNumber', e);
  }
  const content = contentOf(value, tlv);
  if (tlv.tag !== 0x02 || ((content[0] ?? 0) & 0x80) !== 0) throw bad('cRLNumber');
  return integerHex(content);
}

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused7',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export function decodeCrlReason(value: Uint8Array): RevocationReason {
  const r = parseAs('reasonCode', value, CRLReason).reason;
  const name: RevocationReason | undefined = REVOCATION_REASONS[Number(r)];
  if (name === undefined || name === 'unused7') throw bad('reasonCode');
  return name;
}

export function decodeInvalidityDate(value: Uint8Array): Date {
  const d = parseAs('invalidityDate', value, InvalidityDate).value;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw bad('invalidityDate');
  return d;
}
