/**
 * What X.509 certificates (RFC 5280 §4.1) and CRLs (§5.1) share: the signed frame
 * SEQUENCE { tbs, signatureAlgorithm, signatureValue }, read strictly (der-structure.ts), the
 * extension lists inside, and the ECDSA check of the signature over the exact TBS bytes with
 * node:crypto. certificate.ts and crl-parse.ts read their own TBS contents on top of this.
 * Every failure is PkiError SMGW_PKI_MALFORMED, whatever the input. Sans-I/O.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { type HashName, hashByEcdsaOid } from '../curves.js';
import { type EcPublicKey, verifySignature } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import { checkAlgorithmIdentifier, checkDer, childrenOf, encodingOf, type Tlv } from './der-structure.js';
import { type KnownExtensionName, knownExtensionName } from './extension-views.js';

/** One extension of a certificate, a CRL or a CRL entry, as encoded. */
export interface CertificateExtension {
  readonly oid: string;
  /** Our name for the extension when we know it. */
  readonly name?: KnownExtensionName;
  readonly critical: boolean;
  /** extnValue contents (the DER of the extension's own structure). */
  readonly value: Uint8Array;
}

/** The fields every signed structure (certificate or CRL) has. */
export interface SignedStructure {
  /** The whole structure as given. */
  readonly der: Uint8Array;
  /** The exact TBS bytes (TBSCertificate, TBSCertList) the signature covers. */
  readonly tbs: Uint8Array;
  /** Outer signatureAlgorithm OID. */
  readonly signatureAlgorithm: string;
  /** The TBS part's signature OID: must equal the outer one (RFC 5280 §4.1.1.2, §5.1.1.2). */
  readonly tbsSignatureAlgorithm: string;
  /** The hash of an ecdsa-with-SHAxxx signature algorithm; absent for anything else. */
  readonly hash?: HashName;
  /** DER Ecdsa-Sig-Value (the BIT STRING contents). */
  readonly signature: Uint8Array;
  /** Every extension in encoded order. */
  readonly extensions: readonly CertificateExtension[];
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint256: string;
}

/** Which structure a message is about: its prefix and the ASN.1 names of its frame. */
export interface SignedStructureKind {
  /** Message prefix: `certificate`, `CRL`. */
  readonly label: string;
  /** ASN.1 type of the whole: `Certificate`, `CertificateList`. */
  readonly outer: string;
  /** ASN.1 type of the signed part: `TBSCertificate`, `TBSCertList`. */
  readonly tbs: string;
}

export const CERTIFICATE_KIND: SignedStructureKind = {
  label: 'certificate',
  outer: 'Certificate',
  tbs: 'TBSCertificate',
};
export const CRL_KIND: SignedStructureKind = { label: 'CRL', outer: 'CertificateList', tbs: 'TBSCertList' };

/** PkiError SMGW_PKI_MALFORMED with the kind's prefix (`certificate: …`, `CRL: …`). */
export function malformedError(kind: SignedStructureKind, message: string, cause?: unknown): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `${kind.label}: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Runs a parser over hostile input: its own SMGW_PKI_MALFORMED errors pass unchanged, any other
 * PkiError becomes one, and anything else (a bug in us or the ASN.1 library) too, so callers see
 * one typed error whatever the bytes.
 */
export function parseOrMalformed<T>(kind: SignedStructureKind, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof PkiError) {
      if (e.code === 'SMGW_PKI_MALFORMED') throw e;
      throw malformedError(kind, e.message, e);
    }
    throw malformedError(kind, `unreadable (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/** The checked frame of a signed structure. */
export interface SignedFrame {
  readonly kind: SignedStructureKind;
  /** A copy of the input (nothing the caller does later changes what we parsed). */
  readonly der: Uint8Array;
  readonly tbs: Tlv;
  /** The TBS part's children, in order. */
  readonly tbsParts: readonly Tlv[];
}

/**
 * Checks `input` is one strict DER SEQUENCE { tbs SEQUENCE, AlgorithmIdentifier, BIT STRING }.
 * The unsigned parts are ours to check: the schema parser ignores their tags (der-structure.ts),
 * so a changed tag would give other bytes that still parse and verify. The signature is whole
 * octets (an Ecdsa-Sig-Value): a non-zero unused-bits count would let other bytes carry the same
 * signature (the library drops that octet).
 */
export function readSignedFrame(input: Uint8Array, kind: SignedStructureKind): SignedFrame {
  if (!(input instanceof Uint8Array)) throw malformedError(kind, 'input is not bytes');
  const der = new Uint8Array(input);
  const outer = checkDer(der);
  if (outer.tag !== 0x30) throw malformedError(kind, `${kind.outer} is not a SEQUENCE`);
  const top = childrenOf(der, outer);
  const [tbs, alg, sig] = top;
  if (top.length !== 3 || !tbs || !alg || !sig) {
    throw malformedError(kind, `${kind.outer} is not SEQUENCE {tbs, alg, sig}`);
  }
  if (sig.tag !== 0x03 || der[sig.contentStart] !== 0) {
    throw malformedError(kind, 'signatureValue is not an octet-aligned BIT STRING');
  }
  checkAlgorithmIdentifier(der, alg);
  if (tbs.tag !== 0x30) throw malformedError(kind, `${kind.tbs} is not a SEQUENCE`);
  return { kind, der, tbs, tbsParts: childrenOf(der, tbs) };
}

/** The schema parser's reading of a checked frame (`Certificate`, `CertificateList`). */
export function readSchema<T>(frame: SignedFrame, schema: new () => T): T {
  try {
    return AsnConvert.parse(frame.der, schema);
  } catch (e) {
    throw malformedError(frame.kind, `not an X.509 ${frame.kind.label}`, e);
  }
}

/** An extension as the ASN.1 schema reads it (certificate, CRL and CRL entry extensions alike). */
export interface AsnExtension {
  readonly extnID: string;
  readonly critical: boolean;
  readonly extnValue: { readonly buffer: ArrayBuffer };
}

/**
 * The extensions in encoded order. One instance per extension (RFC 5280 §4.2: "A certificate
 * MUST NOT include more than one instance of a particular extension"; we hold CRLs to the same).
 */
export function readExtensions(kind: SignedStructureKind, list: Iterable<AsnExtension>): CertificateExtension[] {
  const out: CertificateExtension[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    if (seen.has(e.extnID)) throw malformedError(kind, `extension ${e.extnID} appears twice`);
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

/** The SignedStructure fields, from the checked frame and what the schema parser read. */
export function signedFields(
  frame: SignedFrame,
  read: {
    readonly signatureAlgorithm: string;
    readonly tbsSignatureAlgorithm: string;
    readonly signature: ArrayBuffer;
    readonly extensions: readonly CertificateExtension[];
  },
): SignedStructure {
  const fields = {
    der: frame.der,
    tbs: encodingOf(frame.der, frame.tbs).slice(),
    signatureAlgorithm: read.signatureAlgorithm,
    tbsSignatureAlgorithm: read.tbsSignatureAlgorithm,
    signature: new Uint8Array(read.signature),
    extensions: read.extensions,
    fingerprint256: createHash('sha256').update(frame.der).digest('hex'),
  };
  const hash = hashByEcdsaOid(read.signatureAlgorithm);
  return hash === undefined ? fields : { ...fields, hash };
}

/** A signer: a parsed certificate (its key, when usable) or a public key. */
export type SignerKey = { readonly publicKey: { readonly key?: EcPublicKey } } | EcPublicKey;

/**
 * True when `signer`'s key verifies the structure's signature (ECDSA, node:crypto). False for a
 * wrong signature, differing outer and TBS algorithms, a non-ECDSA algorithm or an unusable key.
 */
export function verifySignedStructure(signed: SignedStructure, signer: SignerKey): boolean {
  if (signed.hash === undefined || signed.signatureAlgorithm !== signed.tbsSignatureAlgorithm) return false;
  const key = 'publicKey' in signer ? signer.publicKey.key : signer;
  if (!key) return false;
  try {
    return verifySignature(key.spki, signed.tbs, signed.signature, signed.hash);
  } catch {
    return false;
  }
}
