/**
 * X.509 v3 certificates (RFC 5280) read into a typed, read-only view: what the SM-PKI lint
 * (spec notes §4, TR-03109-4 §A.2) and path validation look at. Parsing is strict DER
 * (der-structure.ts) and never throws anything but PkiError SMGW_PKI_MALFORMED, whatever the
 * input. A certificate with a key on a curve we do not allow still parses (lint reports it);
 * its `publicKey.key` is then absent. Sans-I/O.
 */
import { createHash } from 'node:crypto';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { type CurveName, curveByOid, EC_PUBLIC_KEY_OID, type HashName, hashByEcdsaOid } from '../curves.js';
import { type EcPublicKey, parseSpki, verifySignature } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import { checkAlgorithmIdentifier, checkDer, childrenOf, encodingOf, type Tlv } from './der-structure.js';
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
  knownExtensionName,
  type PrivateKeyUsagePeriodView,
} from './extension-views.js';
import { readDerObjects } from './pem.js';

export interface CertificateExtension {
  readonly oid: string;
  /** Our name for the extension when we know it. */
  readonly name?: KnownExtensionName;
  readonly critical: boolean;
  /** extnValue contents (the DER of the extension's own structure). */
  readonly value: Uint8Array;
}

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

export interface ParsedCertificate {
  /** The whole certificate as given. */
  readonly der: Uint8Array;
  /** The exact TBSCertificate bytes the signature covers. */
  readonly tbs: Uint8Array;
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
  /** Outer signatureAlgorithm OID. */
  readonly signatureAlgorithm: string;
  /** TBSCertificate.signature OID: must equal the outer one (RFC 5280 §4.1.1.2). */
  readonly tbsSignatureAlgorithm: string;
  /** Parameters present in the signature AlgorithmIdentifier (must be absent for ECDSA, RFC 5758 §3.2). */
  readonly signatureParamsPresent: boolean;
  /** The hash of an ecdsa-with-SHAxxx signature algorithm; absent for anything else. */
  readonly hash?: HashName;
  /** DER Ecdsa-Sig-Value (the BIT STRING contents). */
  readonly signature: Uint8Array;
  /** Every extension in encoded order. */
  readonly extensions: readonly CertificateExtension[];
  readonly ext: CertificateExtensionViews;
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint256: string;
}

function malformed(message: string, cause?: unknown): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `certificate: ${message}`, cause === undefined ? {} : { cause });
}

/** Parses a DER certificate. Throws only PkiError SMGW_PKI_MALFORMED. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    return parseStrict(der);
  } catch (e) {
    if (e instanceof PkiError) {
      if (e.code === 'SMGW_PKI_MALFORMED') throw e;
      throw malformed(e.message, e);
    }
    // A bug in us or the ASN.1 library must still come out as a typed error (hostile input).
    throw malformed(`unreadable (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/** Every certificate in a PEM text (one or more CERTIFICATE blocks) or a single DER certificate. */
export function parseCertificates(content: Uint8Array | string): ParsedCertificate[] {
  return readDerObjects(content, 'CERTIFICATE').map(parseCertificate);
}

function parseStrict(input: Uint8Array): ParsedCertificate {
  if (!(input instanceof Uint8Array)) throw malformed('input is not bytes');
  const der = new Uint8Array(input);
  const outer = checkDer(der);
  const top = expectSequence(der, outer, 'Certificate');
  const [tbsTlv, algTlv, sigTlv] = top;
  if (top.length !== 3 || !tbsTlv || !algTlv || !sigTlv) throw malformed('Certificate is not SEQUENCE {tbs, alg, sig}');
  // The signature is whole octets (an Ecdsa-Sig-Value): a non-zero unused-bits count would let
  // different certificate bytes carry the same signature (the library drops that octet).
  if (sigTlv.tag !== 0x03 || der[sigTlv.contentStart] !== 0)
    throw malformed('signatureValue is not an octet-aligned BIT STRING');
  // The unsigned parts' tags are ours to check (the schema parser ignores them, see der-structure.ts).
  checkAlgorithmIdentifier(der, algTlv);
  const tbsParts = expectSequence(der, tbsTlv, 'TBSCertificate');
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
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw malformed('not an X.509 certificate', e);
  }
  const tbsCert = cert.tbsCertificate;
  const tbs = encodingOf(der, tbsTlv).slice();
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
  const extensions = readExtensions(tbsCert.extensions ?? []);
  const signatureAlgorithm = cert.signatureAlgorithm.algorithm;
  const hash = hashByEcdsaOid(signatureAlgorithm);
  const base = {
    der,
    tbs,
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
    signatureAlgorithm,
    tbsSignatureAlgorithm: tbsCert.signature.algorithm,
    signatureParamsPresent: cert.signatureAlgorithm.parameters != null,
    signature: new Uint8Array(cert.signatureValue),
    extensions,
    ext: decodeViews(extensions),
    fingerprint256: createHash('sha256').update(der).digest('hex'),
  };
  return hash === undefined ? base : { ...base, hash };
}

function expectSequence(der: Uint8Array, tlv: Tlv, what: string): Tlv[] {
  if (tlv.tag !== 0x30) throw malformed(`${what} is not a SEQUENCE`);
  return childrenOf(der, tlv);
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

function readExtensions(list: Iterable<{ extnID: string; critical: boolean; extnValue: { buffer: ArrayBuffer } }>) {
  const out: CertificateExtension[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(e.extnID)) throw malformed(`extension ${e.extnID} appears twice`);
    seen.add(e.extnID);
    const name = knownExtensionName(e.extnID);
    const value = new Uint8Array(e.extnValue.buffer).slice();
    out.push(
      name === undefined
        ? { oid: e.extnID, critical: e.critical, value }
        : { oid: e.extnID, name, critical: e.critical, value },
    );
  }
  return out;
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
  if (cert.hash === undefined || cert.signatureAlgorithm !== cert.tbsSignatureAlgorithm) return false;
  const key = 'publicKey' in issuer ? issuer.publicKey.key : issuer;
  if (!key) return false;
  try {
    return verifySignature(key.spki, cert.tbs, cert.signature, cert.hash);
  } catch {
    return false;
  }
}

/** Self-issued and verified by its own key. */
export function isSelfSigned(cert: ParsedCertificate): boolean {
  return isSelfIssued(cert) && verifyCertificateSignature(cert, cert);
}

export function isCa(cert: ParsedCertificate): boolean {
  return cert.ext.basicConstraints?.cA === true;
}
