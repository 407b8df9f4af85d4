/**
 * The SM-PKI certificate profiles (spec notes §4, rules from TR-03109-4 v1.2.1 §A.2 and the
 * SM-PKI CP as encoded by jzlint, source S9): one function per certificate kind, each giving the
 * subject, the extensions and the signature hash for `issueCertificate`. Pure functions.
 *
 * What is [M] (not verified, spec notes §4) and therefore a parameter here: the key usage bits per
 * TLS/SIG/ENC type, the IssuerAltName and CRL distribution point values, the path length
 * constraints, and the local profile of the self-signed LMN/HAN certificates.
 */
import { CURVES, type HashName } from '../curves.js';
import type { EcPublicKey } from '../ec-keys.js';
import type { NameAttribute } from './certificate-builder.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  type ExtendedKeyUsageName,
  type ExtensionSpec,
  extendedKeyUsageExtension,
  type GeneralNameSpec,
  issuerAltNameExtension,
  type KeyUsageName,
  keyIdentifier,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from './certificate-extensions.js';

/** Certificate policy of the SM-PKI (spec notes §4, [V] S9). */
export const SM_PKI_POLICY_OID = '0.4.0.127.0.7.3.4.1.1.1';
/** Subject O of the productive and of the test SM-PKI (spec notes §4). */
export const SM_PKI_ORGANIZATION = 'SM-PKI-DE';
export const SM_TEST_PKI_ORGANIZATION = 'SM-Test-PKI-DE';

export type EndUserRole = 'GWA' | 'EMT' | 'SMGW' | 'GWH';
export const END_USER_ROLES: readonly EndUserRole[] = ['GWA', 'EMT', 'SMGW', 'GWH'];
export type EndUserType = 'tls' | 'sig' | 'enc';
export const END_USER_TYPES: readonly EndUserType[] = ['tls', 'sig', 'enc'];

export function isEndUserRole(s: unknown): s is EndUserRole {
  return typeof s === 'string' && (END_USER_ROLES as readonly string[]).includes(s);
}
export function isEndUserType(s: unknown): s is EndUserType {
  return typeof s === 'string' && (END_USER_TYPES as readonly string[]).includes(s);
}

/** What `issueCertificate` needs from a profile. */
export interface CertificateProfile {
  readonly subject: readonly NameAttribute[];
  readonly extensions: readonly ExtensionSpec[];
  /** The issuer's hash: the one that matches the issuer key's curve (spec notes §3.2). */
  readonly hash: HashName;
}

export interface ProfileKeys {
  readonly subjectKey: EcPublicKey;
  /** The signing key; for a self-signed certificate the subject key again. */
  readonly issuerKey: EcPublicKey;
}

/**
 * Spec notes §3.2: root certificates are signed with ecdsa-with-SHA384 on brainpoolP384r1 (SHA512
 * on P512 after the switch), Sub-CA issued certificates with SHA256 on brainpoolP256r1 (SHA384
 * after the switch). In both tables the hash is the one that matches the signer's curve.
 */
export function hashForIssuer(issuerKey: EcPublicKey): HashName {
  return CURVES[issuerKey.curve].hash;
}

function keyIds(keys: ProfileKeys, withAuthority: boolean): ExtensionSpec[] {
  const out = [subjectKeyIdentifierExtension(keyIdentifier(keys.subjectKey))];
  if (withAuthority) out.unshift(authorityKeyIdentifierExtension(keyIdentifier(keys.issuerKey)));
  return out;
}

/**
 * The subject of the CA-side certificates (root, Sub-CA, the root's CRL signer): C=DE, O, the
 * serialNumber as a digit string, CN (spec notes §4); end users carry no serialNumber.
 */
function caSubject(
  o: { readonly organization?: string; readonly serialNumber: string; readonly commonName?: string },
  defaultCommonName: string,
): NameAttribute[] {
  return [
    { type: 'C', value: 'DE' },
    { type: 'O', value: o.organization ?? SM_TEST_PKI_ORGANIZATION },
    { type: 'serialNumber', value: o.serialNumber },
    { type: 'CN', value: o.commonName ?? defaultCommonName },
  ];
}

export interface RootProfileOptions {
  readonly keys: ProfileKeys;
  /** `SM-Test-Root.CA` (test PKI) or `SM-Root.CA`. */
  readonly commonName?: string;
  readonly organization?: string;
  /** Digits (spec notes §4: root, TLS-root and Sub-CA certificates carry serialNumber as a digit string). */
  readonly serialNumber: string;
  /** [M] 1 lets the root certify Sub-CAs that certify end users, nothing deeper. */
  readonly pathLength?: number;
}

/** The self-signed root: CN SM-Test-Root.CA, O, C=DE, serialNumber; a CA with keyCertSign and cRLSign. */
export function rootProfile(o: RootProfileOptions): CertificateProfile {
  return {
    subject: caSubject(o, 'SM-Test-Root.CA'),
    extensions: [
      ...keyIds(o.keys, false),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      basicConstraintsExtension({ ca: true, pathLength: o.pathLength ?? 1 }),
      certificatePoliciesExtension([SM_PKI_POLICY_OID]),
    ],
    hash: hashForIssuer(o.keys.issuerKey),
  };
}

export interface SubCaProfileOptions {
  readonly keys: ProfileKeys;
  /** Must end in `.CA` (spec notes §4). */
  readonly commonName?: string;
  readonly organization?: string;
  readonly serialNumber: string;
  /** Where the root's CRL (which lists Sub-CA certificates) is published. */
  readonly crlDistributionPoint: string;
  readonly issuerAltName: readonly GeneralNameSpec[];
}

export function subCaProfile(o: SubCaProfileOptions): CertificateProfile {
  return {
    subject: caSubject(o, 'SM-Test-Sub.CA'),
    extensions: [
      ...keyIds(o.keys, true),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      certificatePoliciesExtension([SM_PKI_POLICY_OID]),
      issuerAltNameExtension(o.issuerAltName),
      basicConstraintsExtension({ ca: true, pathLength: 0 }),
      crlDistributionPointsExtension([o.crlDistributionPoint]),
    ],
    hash: hashForIssuer(o.keys.issuerKey),
  };
}

/** The CRL signer is certified by the root like a Sub-CA: the same inputs (CN default SM-Test-Root.CA.CRL-S). */
export type RootCrlSignerProfileOptions = SubCaProfileOptions;

/**
 * The root's CRL signer `SM-Test-Root.CA.CRL-S` (spec notes §4): a separate key, certified by the
 * root, whose only use is signing the root's CRL. Not a CA.
 */
export function rootCrlSignerProfile(o: RootCrlSignerProfileOptions): CertificateProfile {
  return {
    subject: caSubject(o, 'SM-Test-Root.CA.CRL-S'),
    extensions: [
      ...keyIds(o.keys, true),
      keyUsageExtension(['cRLSign']),
      certificatePoliciesExtension([SM_PKI_POLICY_OID]),
      issuerAltNameExtension(o.issuerAltName),
      basicConstraintsExtension({ ca: false }),
      crlDistributionPointsExtension([o.crlDistributionPoint]),
    ],
    hash: hashForIssuer(o.keys.issuerKey),
  };
}

/** Key usage per end-user certificate type (spec notes §4 [M]; TR-03116-TS TLS_CERT_06 for TLS). */
export const END_USER_KEY_USAGE: Readonly<Record<EndUserType, readonly KeyUsageName[]>> = {
  tls: ['digitalSignature'],
  sig: ['digitalSignature', 'nonRepudiation'],
  enc: ['keyAgreement'],
};

/**
 * Extended key usage of TLS certificates per role: the SMGW is a TLS client only in the WAN
 * (DESIGN.md: it listens for nothing but wake-up packets); GWA and EMT servers also act as clients
 * (e.g. GWA towards EMT), so they carry both. TR-03116-TS TLS_CERT_08 wants an EKU present.
 */
export const END_USER_TLS_EKU: Readonly<Record<EndUserRole, readonly ExtendedKeyUsageName[]>> = {
  SMGW: ['clientAuth'],
  GWA: ['serverAuth', 'clientAuth'],
  EMT: ['serverAuth', 'clientAuth'],
  GWH: ['serverAuth', 'clientAuth'],
};

/** Roles whose certificates must carry a SubjectAltName; forbidden for SMGW (spec notes §4). */
export const SAN_REQUIRED: Readonly<Record<EndUserRole, boolean>> = {
  GWA: true,
  EMT: true,
  GWH: true,
  SMGW: false,
};

/** True if `cn` has the end-user suffix of `role`: `<name>.ROLE` or `<name>.ROLE.<suffix>` (spec notes §4). */
export function commonNameFitsRole(cn: string, role: EndUserRole): boolean {
  const i = cn.indexOf(`.${role}`);
  if (i <= 0) return false;
  const rest = cn.slice(i + role.length + 1);
  return rest === '' || (rest.startsWith('.') && rest.length > 1);
}

export interface EndUserProfileOptions {
  readonly keys: ProfileKeys;
  readonly role: EndUserRole;
  readonly type: EndUserType;
  /** `<name>.SMGW`, `<name>.GWA`, `<name>.GWH`, `<name>.EMT` (or `.EMT.<suffix>`). */
  readonly commonName: string;
  readonly organization?: string;
  /** Required for GWA, GWH and EMT; ignored for SMGW (forbidden there). */
  readonly subjectAltNames?: readonly GeneralNameSpec[];
  /** The issuing Sub-CA's CRL location. */
  readonly crlDistributionPoint: string;
  /** The issuing Sub-CA's alternative name (IssuerAltName is mandatory, spec notes §4). */
  readonly issuerAltName: readonly GeneralNameSpec[];
}

/**
 * End-user certificate of the triplet (TLS, SIG, ENC) of an SMGW, GWA, GWH or EMT. Carries AKI,
 * SKI, KeyUsage (critical), CertificatePolicies, IssuerAltName, BasicConstraints (critical, not a
 * CA), CRLDistributionPoints; SAN for all but SMGW; EKU (critical) on TLS certificates; never
 * PrivateKeyUsagePeriod (spec notes §4).
 */
export function endUserProfile(o: EndUserProfileOptions): CertificateProfile {
  const extensions: ExtensionSpec[] = [
    ...keyIds(o.keys, true),
    keyUsageExtension(END_USER_KEY_USAGE[o.type]),
    certificatePoliciesExtension([SM_PKI_POLICY_OID]),
  ];
  if (SAN_REQUIRED[o.role] && o.subjectAltNames && o.subjectAltNames.length > 0) {
    extensions.push(subjectAltNameExtension(o.subjectAltNames));
  }
  extensions.push(
    issuerAltNameExtension(o.issuerAltName),
    basicConstraintsExtension({ ca: false }),
    crlDistributionPointsExtension([o.crlDistributionPoint]),
  );
  if (o.type === 'tls') extensions.push(extendedKeyUsageExtension(END_USER_TLS_EKU[o.role]));
  return {
    subject: [
      { type: 'C', value: 'DE' },
      { type: 'O', value: o.organization ?? SM_TEST_PKI_ORGANIZATION },
      { type: 'CN', value: o.commonName },
    ],
    extensions,
    hash: hashForIssuer(o.keys.issuerKey),
  };
}

export interface LocalProfileOptions {
  readonly key: EcPublicKey;
  readonly commonName: string;
  /** Which TLS side(s) the certificate is for. */
  readonly extendedKeyUsage: readonly ExtendedKeyUsageName[];
  /** e.g. `localhost` for a HAN server a browser reaches by name. */
  readonly subjectAltNames?: readonly GeneralNameSpec[];
}

/**
 * The local profile of the self-signed LMN and HAN TLS certificates ([M]: TR-03109-1 sets it,
 * we could not read it; spec notes §3.4, §3.5). Simplest design that TLS stacks accept and that
 * makes its purpose plain: CN and C=DE (no SM-PKI O, no policy: these are not SM-PKI
 * certificates), SKI, KeyUsage digitalSignature (critical), BasicConstraints cA=false (critical),
 * EKU (critical) for the TLS side(s), an optional SAN. Validity ≤ 7 years is the caller's
 * (spec notes §3.5, [V]). Peers trust them by pinning, not by a chain.
 */
export function localSelfSignedProfile(o: LocalProfileOptions): CertificateProfile {
  const extensions: ExtensionSpec[] = [
    subjectKeyIdentifierExtension(keyIdentifier(o.key)),
    keyUsageExtension(['digitalSignature']),
    basicConstraintsExtension({ ca: false }),
    extendedKeyUsageExtension(o.extendedKeyUsage),
  ];
  if (o.subjectAltNames && o.subjectAltNames.length > 0) extensions.push(subjectAltNameExtension(o.subjectAltNames));
  return {
    subject: [
      { type: 'C', value: 'DE' },
      { type: 'CN', value: o.commonName },
    ],
    extensions,
    hash: hashForIssuer(o.key),
  };
}
