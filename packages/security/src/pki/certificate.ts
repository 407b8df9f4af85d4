/**
 * X.509 v3 certificates (RFC 5280) read into a typed, read-only view: what the SM-PKI lint
 * (spec notes §4, TR-03109-4 §A.2) and path validation look at. Parsing is strict DER
 * (der-structure.ts) and never throws anything but PkiError SMGW_PKI_MALFORMED, whatever the
 * input. A certificate with a key on a curve we do not allow still parses (lint reports it);
 * its `publicKey.key` is then absent. Sans-I/O.
 */
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { type CurveName, curveByOid, EC_PUBLIC_KEY_OID } from '../curves.js';
import { type EcPublicKey, parseSpki } from '../ec-keys.js';
import type { PkiError } from '../errors.js';
import { encodingOf } from './der-structure.js';
import { type DistinguishedName, namesEqual, parseName } from './distinguished-name.js';
import {
  type AuthorityKeyIdView,
  type BasicConstraintsView,
  type CrlDistributionPointsView,
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeCertificatePolicies,
  decodeCrlDistributionPoints,
  decodeExtKeyUsage,
  decodeGeneralNames,
  decodeKeyUsage,
  decodePrivateKeyUsagePeriod,
  decodeSubjectKeyId,
  type GeneralNameView,
  integerHex,
  type KeyUsageBit,
  KNOWN_EXTENSION_OIDS,
  type KnownExtensionName,
  type PrivateKeyUsagePeriodView,
} from './extension-views.js';
import { readDerObjects } from './pem.js';
import {
  CERTIFICATE_KIND,
  type CertificateExtension,
  malformedError,
  parseOrMalformed,
  readExtensions,
  readSchema,
  readSignedFrame,
  type SignedStructure,
  signedFields,
  verifySignedStructure,
} from './signed-structure.js';

export type { CertificateExtension } from './signed-structure.js';

/** Decoded views of the extensions the SM-PKI profile checks; absent when the extension is. */
export interface CertificateExtensionViews {
  readonly keyUsage?: ReadonlySet<KeyUsageBit>;
  /** Key purpose OIDs (see KEY_PURPOSE_OIDS). */
  readonly extKeyUsage?: readonly string[];
  readonly basicConstraints?: BasicConstraintsView;
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: AuthorityKeyIdView;
  /** Policy OIDs. */
  readonly policies?: readonly string[];
  readonly subjectAltName?: readonly GeneralNameView[];
  readonly issuerAltName?: readonly GeneralNameView[];
  readonly crlDistributionPoints?: CrlDistributionPointsView;
  readonly privateKeyUsagePeriod?: PrivateKeyUsagePeriodView;
}

export interface PublicKeyView {
  /** SPKI algorithm OID (id-ecPublicKey for every SM-PKI key). */
  readonly algorithm: string;
  /** namedCurve OID when the parameters are one. */
  readonly curveOid?: string;
  /** Our curve name when the OID is one of TR-03116-3 §3.1's curves. */
  readonly curve?: CurveName;
  /** The key, when it is a valid uncompressed point on an allowed curve. */
  readonly key?: EcPublicKey;
  /** Why `key` is absent. */
  readonly problem?: string;
}

/** A certificate: the signed frame's fields (signed-structure.ts) and what its TBSCertificate says. */
export interface ParsedCertificate extends SignedStructure {
  /** 1, 2 or 3 (the encoded value plus one). */
  readonly version: number;
  /** Serial number as lowercase hex, leading zero bytes stripped. */
  readonly serial: string;
  /** The INTEGER content octets of the serial (RFC 5280 §4.1.2.2 limits them to 20). */
  readonly serialBytes: Uint8Array;
  readonly serialNegative: boolean;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo as in the certificate. */
  readonly spki: Uint8Array;
  readonly publicKey: PublicKeyView;
  /** Parameters present in the signature AlgorithmIdentifier (must be absent for ECDSA, RFC 5758 §3.2). */
  readonly signatureParamsPresent: boolean;
  readonly ext: CertificateExtensionViews;
}

function malformed(message: string, cause?: unknown): PkiError {
  return malformedError(CERTIFICATE_KIND, message, cause);
}

/** Parses a DER certificate. Throws only PkiError SMGW_PKI_MALFORMED. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  return parseOrMalformed(CERTIFICATE_KIND, () => parseStrict(der));
}

/** Every certificate in a PEM text (one or more CERTIFICATE blocks) or a single DER certificate. */
export function parseCertificates(content: Uint8Array | string): ParsedCertificate[] {
  return readDerObjects(content, 'CERTIFICATE').map(parseCertificate);
}

function parseStrict(input: Uint8Array): ParsedCertificate {
  const frame = readSignedFrame(input, CERTIFICATE_KIND);
  const { der, tbsParts } = frame;
  // TBSCertificate: [0] version?, serial, signature, issuer, validity, subject, spki, [1]?, [2]?, [3]?
  const offset = tbsParts[0]?.tag === 0xa0 ? 1 : 0;
  const issuerTlv = tbsParts[offset + 2];
  const subjectTlv = tbsParts[offset + 4];
  const spkiTlv = tbsParts[offset + 5];
  if (!issuerTlv || !subjectTlv || !spkiTlv) throw malformed('TBSCertificate is missing fields');
  for (const [t, what] of [
    [issuerTlv, 'issuer'],
    [subjectTlv, 'subject'],
    [spkiTlv, 'subjectPublicKeyInfo'],
  ] as const) {
    if (t.tag !== 0x30) throw malformed(`${what} is not a SEQUENCE`);
  }
  const cert = readSchema(frame, Certificate);
  const tbsCert = cert.tbsCertificate;
  const versionValue = Number(tbsCert.version ?? 0);
  if (!Number.isSafeInteger(versionValue) || versionValue < 0 || versionValue > 2) {
    throw malformed(`unknown version value ${String(tbsCert.version)}`);
  }
  const serialBytes = new Uint8Array(tbsCert.serialNumber);
  if (serialBytes.length === 0) throw malformed('empty serial number');
  const notBefore = tbsCert.validity.notBefore.getTime();
  const notAfter = tbsCert.validity.notAfter.getTime();
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw malformed('invalid validity time');
  const spki = encodingOf(der, spkiTlv).slice();
  const extensions = readExtensions(CERTIFICATE_KIND, tbsCert.extensions ?? []);
  return {
    ...signedFields(frame, {
      signatureAlgorithm: cert.signatureAlgorithm.algorithm,
      tbsSignatureAlgorithm: tbsCert.signature.algorithm,
      signature: cert.signatureValue,
      extensions,
    }),
    version: versionValue + 1,
    serial: integerHex(serialBytes),
    serialBytes,
    serialNegative: ((serialBytes[0] ?? 0) & 0x80) !== 0,
    issuer: parseName(encodingOf(der, issuerTlv).slice()),
    subject: parseName(encodingOf(der, subjectTlv).slice()),
    notBefore,
    notAfter,
    spki,
    publicKey: readPublicKey(cert, spki),
    signatureParamsPresent: cert.signatureAlgorithm.parameters != null,
    ext: decodeViews(extensions),
  };
}

function readPublicKey(cert: Certificate, spki: Uint8Array): PublicKeyView {
  const alg = cert.tbsCertificate.subjectPublicKeyInfo.algorithm;
  if (alg.algorithm !== EC_PUBLIC_KEY_OID) {
    return { algorithm: alg.algorithm, problem: `algorithm ${alg.algorithm} is not id-ecPublicKey` };
  }
  const params = alg.parameters ? new Uint8Array(alg.parameters) : undefined;
  // namedCurve: an OBJECT IDENTIFIER (tag 06); implicitCurve/specifiedCurve are not allowed.
  let curveOid: string | undefined;
  if (params && params[0] === 0x06) {
    try {
      curveOid = AsnConvert.parse(params, ECParameters).namedCurve;
    } catch {
      curveOid = undefined;
    }
  }
  if (curveOid === undefined) return { algorithm: alg.algorithm, problem: 'EC parameters are not a named curve' };
  const info = curveByOid(curveOid);
  if (!info) return { algorithm: alg.algorithm, curveOid, problem: `curve ${curveOid} is not allowed by TR-03116-3` };
  try {
    return { algorithm: alg.algorithm, curveOid, curve: info.name, key: parseSpki(spki) };
  } catch (e) {
    return {
      algorithm: alg.algorithm,
      curveOid,
      curve: info.name,
      problem: e instanceof Error ? e.message : 'invalid public key',
    };
  }
}

function decodeViews(extensions: readonly CertificateExtension[]): CertificateExtensionViews {
  const views: { -readonly [K in keyof CertificateExtensionViews]: CertificateExtensionViews[K] } = {};
  for (const e of extensions) {
    switch (e.name) {
      case 'keyUsage':
        views.keyUsage = decodeKeyUsage(e.value);
        break;
      case 'extKeyUsage':
        views.extKeyUsage = decodeExtKeyUsage(e.value);
        break;
      case 'basicConstraints':
        views.basicConstraints = decodeBasicConstraints(e.value);
        break;
      case 'subjectKeyIdentifier':
        views.subjectKeyId = decodeSubjectKeyId(e.value);
        break;
      case 'authorityKeyIdentifier':
        views.authorityKeyId = decodeAuthorityKeyId(e.value);
        break;
      case 'certificatePolicies':
        views.policies = decodeCertificatePolicies(e.value);
        break;
      case 'subjectAltName':
        views.subjectAltName = decodeGeneralNames('subjectAltName', e.value);
        break;
      case 'issuerAltName':
        views.issuerAltName = decodeGeneralNames('issuerAltName', e.value);
        break;
      case 'crlDistributionPoints':
        views.crlDistributionPoints = decodeCrlDistributionPoints(e.value);
        break;
      case 'privateKeyUsagePeriod':
        views.privateKeyUsagePeriod = decodePrivateKeyUsagePeriod(e.value);
        break;
      default:
        break;
    }
  }
  return views;
}

/** The extension with this name, if present. */
export function findExtension(cert: ParsedCertificate, name: KnownExtensionName): CertificateExtension | undefined {
  const oid = KNOWN_EXTENSION_OIDS[name];
  return cert.extensions.find((e) => e.oid === oid);
}

/**
 * Extensions that certificate processing understands (RFC 5280 §4.2: a certificate with a
 * critical extension the validator does not recognise must be rejected).
 */
const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set([
  KNOWN_EXTENSION_OIDS.subjectKeyIdentifier,
  KNOWN_EXTENSION_OIDS.keyUsage,
  KNOWN_EXTENSION_OIDS.privateKeyUsagePeriod,
  KNOWN_EXTENSION_OIDS.subjectAltName,
  KNOWN_EXTENSION_OIDS.issuerAltName,
  KNOWN_EXTENSION_OIDS.basicConstraints,
  KNOWN_EXTENSION_OIDS.crlDistributionPoints,
  KNOWN_EXTENSION_OIDS.certificatePolicies,
  KNOWN_EXTENSION_OIDS.authorityKeyIdentifier,
  KNOWN_EXTENSION_OIDS.extKeyUsage,
]);

/** Critical extensions we do not process (validation must reject the certificate). */
export function unknownCriticalExtensions(cert: ParsedCertificate): string[] {
  return cert.extensions.filter((e) => e.critical && !UNDERSTOOD_EXTENSIONS.has(e.oid)).map((e) => e.oid);
}

/** Subject and issuer names match (self-issued, RFC 5280 §6.1). */
export function isSelfIssued(cert: ParsedCertificate): boolean {
  return namesEqual(cert.subject, cert.issuer);
}

/**
 * True when `issuer`'s public key verifies `cert`'s signature (ECDSA, node:crypto). False for a
 * wrong signature, an algorithm mismatch, a non-ECDSA algorithm or an unusable issuer key.
 */
export function verifyCertificateSignature(cert: ParsedCertificate, issuer: ParsedCertificate | EcPublicKey): boolean {
  return verifySignedStructure(cert, issuer);
}

/** Self-issued and verified by its own key. */
export function isSelfSigned(cert: ParsedCertificate): boolean {
  return isSelfIssued(cert) && verifyCertificateSignature(cert, cert);
}

export function isCa(cert: ParsedCertificate): boolean {
  return cert.ext.basicConstraints?.cA === true;
}
