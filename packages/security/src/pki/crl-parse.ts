/**
 * X.509 v2 CRLs (RFC 5280 §5) read into a typed view for path validation: issuer, thisUpdate,
 * nextUpdate, revoked serials with reason, CRL number, AKI, and the signed TBS bytes. In the
 * SM-PKI the root (or its CRL signer SM-Root.CA.CRL-S) publishes the CRL over Sub-CA
 * certificates and each Sub-CA the one over its end users (spec notes §4). Strict DER; only
 * PkiError SMGW_PKI_MALFORMED on hostile input. Sans-I/O. (The CRL *builder* is crl.ts.)
 */
import { CertificateList } from '@peculiar/asn1-x509';
import type { EcPublicKey } from '../ec-keys.js';
import type { PkiError } from '../errors.js';
import type { ParsedCertificate } from './certificate.js';
import { encodingOf } from './der-structure.js';
import { type DistinguishedName, parseName } from './distinguished-name.js';
import {
  type AuthorityKeyIdView,
  decodeAuthorityKeyId,
  decodeCrlNumber,
  decodeCrlReason,
  decodeInvalidityDate,
  integerHex,
  KNOWN_EXTENSION_OIDS,
  type RevocationReason,
} from './extension-views.js';
import { readDerObjects } from './pem.js';
import {
  type CertificateExtension,
  CRL_KIND,
  malformedError,
  parseOrMalformed,
  readExtensions,
  readSchema,
  readSignedFrame,
  type SignedStructure,
  signedFields,
  verifySignedStructure,
} from './signed-structure.js';

export interface RevokedEntry {
  /** Serial as lowercase hex, leading zero bytes stripped (as ParsedCertificate.serial). */
  readonly serial: string;
  readonly date: Date;
  readonly reason?: RevocationReason;
  readonly invalidityDate?: Date;
  readonly extensions: readonly CertificateExtension[];
}

/** A CRL: the signed frame's fields (signed-structure.ts) and what its TBSCertList says. */
export interface ParsedCrl extends SignedStructure {
  /** 1 or 2. */
  readonly version: number;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked: readonly RevokedEntry[];
  /** cRLNumber as hex. */
  readonly crlNumber?: string;
  readonly authorityKeyId?: AuthorityKeyIdView;
}

function malformed(message: string, cause?: unknown): PkiError {
  return malformedError(CRL_KIND, message, cause);
}

/** Parses a DER CRL. Throws only PkiError SMGW_PKI_MALFORMED. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  return parseOrMalformed(CRL_KIND, () => parseStrict(der));
}

/** Every CRL in a PEM text (X509 CRL blocks) or a single DER CRL. */
export function parseCrls(content: Uint8Array | string): ParsedCrl[] {
  return readDerObjects(content, 'X509 CRL').map(parseCrl);
}

function parseStrict(input: Uint8Array): ParsedCrl {
  const frame = readSignedFrame(input, CRL_KIND);
  const { der, tbsParts } = frame;
  // TBSCertList: version?, signature, issuer, thisUpdate, nextUpdate?, revokedCertificates?, [0]?
  const issuerTlv = tbsParts[(tbsParts[0]?.tag === 0x02 ? 1 : 0) + 1];
  if (issuerTlv?.tag !== 0x30) throw malformed('TBSCertList has no issuer');
  const list = readSchema(frame, CertificateList);
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
    const extensions = readExtensions(CRL_KIND, r.crlEntryExtensions ?? []);
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
  const crl: { -readonly [K in keyof ParsedCrl]: ParsedCrl[K] } = {
    ...signedFields(frame, {
      signatureAlgorithm: list.signatureAlgorithm.algorithm,
      tbsSignatureAlgorithm: tbsList.signature.algorithm,
      signature: list.signature,
      extensions: readExtensions(CRL_KIND, tbsList.crlExtensions ?? []),
    }),
    version,
    issuer: parseName(encodingOf(der, issuerTlv).slice()),
    thisUpdate,
    revoked,
  };
  if (nextUpdate) crl.nextUpdate = nextUpdate;
  for (const e of crl.extensions) {
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
  return verifySignedStructure(crl, signer);
}

/** The revoked entry for a certificate serial (hex as ParsedCertificate.serial), if listed. */
export function findRevoked(crl: ParsedCrl, serial: string): RevokedEntry | undefined {
  const wanted = serial.toLowerCase();
  return crl.revoked.find((r) => r.serial === wanted);
}
