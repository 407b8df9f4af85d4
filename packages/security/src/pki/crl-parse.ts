/**
 * X.509 v2 CRLs (RFC 5280 §5) read into a typed view for path validation: issuer, thisUpdate,
 * nextUpdate, revoked serials with reason, CRL number, AKI, and the signed TBS bytes. In the
 * SM-PKI the root (or its CRL signer SM-Root.CA.CRL-S) publishes the CRL over Sub-CA
 * certificates and each Sub-CA the one over its end users (spec notes §4). Strict DER; only
 * PkiError SMGW_PKI_MALFORMED on hostile input. Sans-I/O. (The CRL *builder* is crl.ts.)
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { type HashName, hashByEcdsaOid } from '../curves.js';
import { type EcPublicKey, verifySignature } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import type { CertificateExtension, ParsedCertificate } from './certificate.js';
import { checkAlgorithmIdentifier, checkDer, childrenOf, encodingOf } from './der-structure.js';
import { type DistinguishedName, parseName } from './distinguished-name.js';
import {
  type AuthorityKeyIdView,
  decodeAuthorityKeyId,
  decodeCrlNumber,
  decodeCrlReason,
  decodeInvalidityDate,
  integerHex,
  KNOWN_EXTENSION_OIDS,
  knownExtensionName,
  type RevocationReason,
} from './extension-views.js';
import { readDerObjects } from './pem.js';

export interface RevokedEntry {
  /** Serial as lowercase hex, leading zero bytes stripped (as ParsedCertificate.serial). */
  readonly serial: string;
  readonly date: Date;
  readonly reason?: RevocationReason;
  readonly invalidityDate?: Date;
  readonly extensions: readonly CertificateExtension[];
}

export interface ParsedCrl {
  readonly der: Uint8Array;
  /** The exact TBSCertList bytes the signature covers. */
  readonly tbs: Uint8Array;
  /** 1 or 2. */
  readonly version: number;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly signatureAlgorithm: string;
  readonly tbsSignatureAlgorithm: string;
  readonly hash?: HashName;
  readonly signature: Uint8Array;
  readonly revoked: readonly RevokedEntry[];
  readonly extensions: readonly CertificateExtension[];
  /** cRLNumber as hex. */
  readonly crlNumber?: string;
  readonly authorityKeyId?: AuthorityKeyIdView;
  readonly fingerprint256: string;
}

function malformed(message: string, cause?: unknown): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `CRL: ${message}`, cause === undefined ? {} : { cause });
}

/** Parses a DER CRL. Throws only PkiError SMGW_PKI_MALFORMED. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  try {
    return parseStrict(der);
  } catch (e) {
    if (e instanceof PkiError) {
      if (e.code === 'SMGW_PKI_MALFORMED') throw e;
      throw malformed(e.message, e);
    }
    throw malformed(`unreadable (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/** Every CRL in a PEM text (X509 CRL blocks) or a single DER CRL. */
export function parseCrls(content: Uint8Array | string): ParsedCrl[] {
  return readDerObjects(content, 'X509 CRL').map(parseCrl);
}

function readExtensions(
  list: Iterable<{ extnID: string; critical: boolean; extnValue: { buffer: ArrayBuffer } }>,
): CertificateExtension[] {
  const out: CertificateExtension[] = [];
  const seen = new Set<string>();
  for (const e of list) {
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

function parseStrict(input: Uint8Array): ParsedCrl {
  if (!(input instanceof Uint8Array)) throw malformed('input is not bytes');
  const der = new Uint8Array(input);
  const outer = checkDer(der);
  if (outer.tag !== 0x30) throw malformed('not a SEQUENCE');
  const top = childrenOf(der, outer);
  const [tbsTlv, algTlv, sigTlv] = top;
  if (top.length !== 3 || !tbsTlv || !algTlv || !sigTlv || tbsTlv.tag !== 0x30) {
    throw malformed('CertificateList is not SEQUENCE {tbs, alg, sig}');
  }
  checkAlgorithmIdentifier(der, algTlv);
  // As for certificates: an octet-aligned signature, so no two encodings share one signature.
  if (sigTlv.tag !== 0x03 || der[sigTlv.contentStart] !== 0)
    throw malformed('signature is not an octet-aligned BIT STRING');
  const parts = childrenOf(der, tbsTlv);
  const issuerTlv = parts[(parts[0]?.tag === 0x02 ? 1 : 0) + 1];
  if (issuerTlv?.tag !== 0x30) throw malformed('TBSCertList has no issuer');
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (e) {
    throw malformed('not an X.509 CRL', e);
  }
  const tbsList = list.tbsCertList;
  const version = tbsList.version === undefined ? 1 : Number(tbsList.version) + 1;
  if (version !== 1 && version !== 2) throw malformed(`unknown version ${version}`);
  const thisUpdate = tbsList.thisUpdate.getTime();
  const nextUpdate = tbsList.nextUpdate?.getTime();
  if (Number.isNaN(thisUpdate.getTime()) || (nextUpdate && Number.isNaN(nextUpdate.getTime()))) {
    throw malformed('invalid time');
  }
  const revoked: RevokedEntry[] = (tbsList.revokedCertificates ?? []).map((r) => {
    const serialBytes = new Uint8Array(r.userCertificate);
    if (serialBytes.length === 0) throw malformed('empty serial in a revoked entry');
    const date = r.revocationDate.getTime();
    if (Number.isNaN(date.getTime())) throw malformed('invalid revocation date');
    const extensions = readExtensions(r.crlEntryExtensions ?? []);
    const entry: { -readonly [K in keyof RevokedEntry]: RevokedEntry[K] } = {
      serial: integerHex(serialBytes),
      date,
      extensions,
    };
    for (const e of extensions) {
      if (e.name === 'crlReason') entry.reason = decodeCrlReason(e.value);
      if (e.name === 'invalidityDate') entry.invalidityDate = decodeInvalidityDate(e.value);
    }
    return entry;
  });
  const extensions = readExtensions(tbsList.crlExtensions ?? []);
  const signatureAlgorithm = list.signatureAlgorithm.algorithm;
  const crl: { -readonly [K in keyof ParsedCrl]: ParsedCrl[K] } = {
    der,
    tbs: encodingOf(der, tbsTlv).slice(),
    version,
    issuer: parseName(encodingOf(der, issuerTlv).slice()),
    thisUpdate,
    signatureAlgorithm,
    tbsSignatureAlgorithm: tbsList.signature.algorithm,
    signature: new Uint8Array(list.signature),
    revoked,
    extensions,
    fingerprint256: createHash('sha256').update(der).digest('hex'),
  };
  if (nextUpdate) crl.nextUpdate = nextUpdate;
  const hash = hashByEcdsaOid(signatureAlgorithm);
  if (hash) crl.hash = hash;
  for (const e of extensions) {
    if (e.oid === KNOWN_EXTENSION_OIDS.crlNumber) crl.crlNumber = decodeCrlNumber(e.value);
    if (e.oid === KNOWN_EXTENSION_OIDS.authorityKeyIdentifier) crl.authorityKeyId = decodeAuthorityKeyId(e.value);
  }
  return crl;
}

/** The CRL extensions we process; a CRL with any other critical one is not usable (RFC 5280 §5.2). */
const UNDERSTOOD_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  KNOWN_EXTENSION_OIDS.crlNumber,
  KNOWN_EXTENSION_OIDS.authorityKeyIdentifier,
  KNOWN_EXTENSION_OIDS.issuerAltName,
]);
const UNDERSTOOD_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([
  KNOWN_EXTENSION_OIDS.crlReason,
  KNOWN_EXTENSION_OIDS.invalidityDate,
]);

/**
 * Critical extensions of the CRL or its entries that we do not process (delta CRL indicator,
 * issuing distribution point, certificate issuer): such a CRL is not used for revocation.
 */
export function unknownCriticalCrlExtensions(crl: ParsedCrl): string[] {
  const out = crl.extensions.filter((e) => e.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(e.oid)).map((e) => e.oid);
  for (const r of crl.revoked) {
    for (const e of r.extensions) if (e.critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(e.oid)) out.push(e.oid);
  }
  return [...new Set(out)];
}

/** True when `signer`'s key verifies the CRL's signature (ECDSA, node:crypto). */
export function verifyCrlSignature(crl: ParsedCrl, signer: ParsedCertificate | EcPublicKey): boolean {
  if (crl.hash === undefined || crl.signatureAlgorithm !== crl.tbsSignatureAlgorithm) return false;
  const key = 'publicKey' in signer ? signer.publicKey.key : signer;
  if (!key) return false;
  try {
    return verifySignature(key.spki, crl.tbs, crl.signature, crl.hash);
  } catch {
    return false;
  }
}

/** The revoked entry for a certificate serial (hex as ParsedCertificate.serial), if listed. */
export function findRevoked(crl: ParsedCrl, serial: string): RevokedEntry | undefined {
  const wanted = serial.toLowerCase();
  return crl.revoked.find((r) => r.serial === wanted);
}
