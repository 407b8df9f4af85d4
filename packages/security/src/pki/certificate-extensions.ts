/**
 * Encoders for the X.509 v3 extensions (RFC 5280 §4.2) and CRL extensions (§5.2, §5.3) the
 * SM-PKI profile uses (spec notes §4). Sans-I/O. Each returns an `ExtensionSpec` whose default
 * criticality is the one TR-03109-4 §A.2 prescribes (spec notes §4, "Criticality": KeyUsage,
 * BasicConstraints and ExtendedKeyUsage critical, everything else non-critical); pass
 * `critical` to override (the lint tests do, to make violations).
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  CRLNumber,
  CRLReason,
  CRLReasons,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  IssueAlternativeName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_extKeyUsage,
  id_ce_issuerAltName,
  id_ce_keyUsage,
  id_ce_privateKeyUsagePeriod,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  PolicyInformation,
  PrivateKeyUsagePeriod,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type { EcPublicKey } from '../ec-keys.js';

/** One extension, its value already DER-encoded (the content of extnValue's OCTET STRING). */
export interface ExtensionSpec {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface CriticalityOverride {
  /** Override the profile's criticality (test-only use: making lint violations). */
  readonly critical?: boolean;
}

export const EXTENSION_OIDS = {
  authorityKeyIdentifier: id_ce_authorityKeyIdentifier,
  subjectKeyIdentifier: id_ce_subjectKeyIdentifier,
  keyUsage: id_ce_keyUsage,
  privateKeyUsagePeriod: id_ce_privateKeyUsagePeriod,
  certificatePolicies: id_ce_certificatePolicies,
  subjectAltName: id_ce_subjectAltName,
  issuerAltName: id_ce_issuerAltName,
  basicConstraints: id_ce_basicConstraints,
  extKeyUsage: id_ce_extKeyUsage,
  cRLDistributionPoints: id_ce_cRLDistributionPoints,
  cRLNumber: id_ce_cRLNumber,
  cRLReason: id_ce_cRLReasons,
} as const;

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth';
const EKU_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: id_kp_serverAuth,
  clientAuth: id_kp_clientAuth,
};

/** A GeneralName (RFC 5280 §4.2.1.6) in the forms we write. */
export type GeneralNameSpec =
  | { readonly dns: string }
  | { readonly uri: string }
  | { readonly email: string }
  | { readonly ip: string };

function spec(oid: string, defaultCritical: boolean, value: unknown, o: CriticalityOverride): ExtensionSpec {
  return { oid, critical: o.critical ?? defaultCritical, value: new Uint8Array(AsnConvert.serialize(value)) };
}

/**
 * Key identifier of a public key: SHA-1 over the subjectPublicKey BIT STRING contents (RFC 5280
 * §4.2.1.2 method 1). SHA-1 is used as a name here, not for security, as RFC 5280 describes.
 */
export function keyIdentifier(key: EcPublicKey): Uint8Array {
  return new Uint8Array(createHash('sha1').update(key.point).digest());
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array, o: CriticalityOverride = {}): ExtensionSpec {
  return spec(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ab(keyId)), o);
}

export function authorityKeyIdentifierExtension(keyId: Uint8Array, o: CriticalityOverride = {}): ExtensionSpec {
  return spec(
    id_ce_authorityKeyIdentifier,
    false,
    new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ab(keyId)) }),
    o,
  );
}

export function keyUsageExtension(usages: readonly KeyUsageName[], o: CriticalityOverride = {}): ExtensionSpec {
  let flags = 0;
  for (const u of usages) flags |= KeyUsageFlags[u === 'cRLSign' ? 'cRLSign' : u];
  return spec(id_ce_keyUsage, true, new KeyUsage(flags), o);
}

export function basicConstraintsExtension(
  bc: { readonly ca: boolean; readonly pathLength?: number },
  o: CriticalityOverride = {},
): ExtensionSpec {
  const value =
    bc.pathLength === undefined
      ? new BasicConstraints({ cA: bc.ca })
      : new BasicConstraints({ cA: bc.ca, pathLenConstraint: bc.pathLength });
  return spec(id_ce_basicConstraints, true, value, o);
}

export function certificatePoliciesExtension(
  policyOids: readonly string[],
  o: CriticalityOverride = {},
): ExtensionSpec {
  return spec(
    id_ce_certificatePolicies,
    false,
    new CertificatePolicies(policyOids.map((p) => new PolicyInformation({ policyIdentifier: p }))),
    o,
  );
}

export function extendedKeyUsageExtension(
  purposes: readonly (ExtendedKeyUsageName | string)[],
  o: CriticalityOverride = {},
): ExtensionSpec {
  const oids = purposes.map((p) => (Object.hasOwn(EKU_OIDS, p) ? EKU_OIDS[p as ExtendedKeyUsageName] : p));
  return spec(id_ce_extKeyUsage, true, new ExtendedKeyUsage(oids), o);
}

export function generalName(n: GeneralNameSpec): GeneralName {
  if ('dns' in n) return new GeneralName({ dNSName: n.dns });
  if ('uri' in n) return new GeneralName({ uniformResourceIdentifier: n.uri });
  if ('email' in n) return new GeneralName({ rfc822Name: n.email });
  return new GeneralName({ iPAddress: n.ip });
}

export function subjectAltNameExtension(names: readonly GeneralNameSpec[], o: CriticalityOverride = {}): ExtensionSpec {
  return spec(id_ce_subjectAltName, false, new SubjectAlternativeName(names.map(generalName)), o);
}

export function issuerAltNameExtension(names: readonly GeneralNameSpec[], o: CriticalityOverride = {}): ExtensionSpec {
  return spec(id_ce_issuerAltName, false, new IssueAlternativeName(names.map(generalName)), o);
}

export function crlDistributionPointsExtension(urls: readonly string[], o: CriticalityOverride = {}): ExtensionSpec {
  const points = urls.map(
    (url) =>
      new DistributionPoint({
        distributionPoint: new DistributionPointName({
          fullName: [new GeneralName({ uniformResourceIdentifier: url })],
        }),
      }),
  );
  return spec(id_ce_cRLDistributionPoints, false, new CRLDistributionPoints(points), o);
}

/**
 * PrivateKeyUsagePeriod (RFC 3280 §4.2.1.4). Forbidden in SM-PKI end-user certificates (spec
 * notes §4); offered so tests can make that violation.
 */
export function privateKeyUsagePeriodExtension(
  period: { readonly notBefore?: Date; readonly notAfter?: Date },
  o: CriticalityOverride = {},
): ExtensionSpec {
  const value = new PrivateKeyUsagePeriod();
  if (period.notBefore) value.notBefore = truncateToSeconds(period.notBefore);
  if (period.notAfter) value.notAfter = truncateToSeconds(period.notAfter);
  return spec(id_ce_privateKeyUsagePeriod, false, value, o);
}

/** cRLNumber (RFC 5280 §5.2.3): a monotonically increasing non-negative integer. */
export function crlNumberExtension(n: number, o: CriticalityOverride = {}): ExtensionSpec {
  return spec(id_ce_cRLNumber, false, new CRLNumber(n), o);
}

export type CrlReasonName = keyof typeof CRLReasons;
export const CRL_REASONS = Object.keys(CRLReasons).filter((k) => Number.isNaN(Number(k))) as CrlReasonName[];

export function isCrlReasonName(s: unknown): s is CrlReasonName {
  return typeof s === 'string' && (CRL_REASONS as string[]).includes(s);
}

/** reasonCode CRL entry extension (RFC 5280 §5.3.1). */
export function crlReasonExtension(reason: CrlReasonName, o: CriticalityOverride = {}): ExtensionSpec {
  return spec(id_ce_cRLReasons, false, new CRLReason(CRLReasons[reason]), o);
}

/** The asn1-x509 Extension for a spec. */
export function toAsnExtension(e: ExtensionSpec): Extension {
  return new Extension({ extnID: e.oid, critical: e.critical, extnValue: new OctetString(ab(e.value)) });
}

function ab(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

function truncateToSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
