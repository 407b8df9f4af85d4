/**
 * Generic X.509 v3 certificate builder (RFC 5280 §4.1): TBSCertificate from parts, DER-encoded,
 * signed through a SecurityModule (the CA key never leaves its module: TR-03109-4 via spec notes
 * §4 and §13) and assembled. It knows nothing about the SM-PKI: the choices of subject and
 * extensions per certificate kind live in `certificate-profiles.ts`.
 *
 * Sans-I/O apart from the module call: time and serial numbers are parameters (the call site takes
 * them from a Clock and from `module.random`).
 */

import { bytesEqual, concatBytes } from '@opensmgw/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { ECDSA_OIDS, type HashName } from '../curves.js';
import { derTlv } from '../der-writer.js';
import { type EcPublicKey, parseSpki, verifySignature } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { type ExtensionSpec, toAsnExtension } from './certificate-extensions.js';
import { DN_ATTRIBUTE_OIDS, type DnAttributeKey } from './distinguished-name.js';

/** Attribute types of a distinguished name that we write: the ones we read (distinguished-name.ts). */
export const NAME_ATTRIBUTE_OIDS = DN_ATTRIBUTE_OIDS;
export type NameAttributeType = DnAttributeKey;

/** One attribute of a distinguished name, one RDN each, in the order given. */
export interface NameAttribute {
  readonly type: NameAttributeType;
  readonly value: string;
}

/**
 * The signer of a certificate or CRL: a key in a security module, and the issuer's certificate
 * (absent for a self-signed certificate).
 */
export interface Signer {
  readonly module: SecurityModule;
  readonly slot: string;
  /** DER certificate of the issuer; its subject becomes our issuer name. Absent = self-signed. */
  readonly certificate?: Uint8Array;
}

export interface IssueCertificateOptions {
  readonly issuer: Signer;
  readonly subjectPublicKey: EcPublicKey;
  readonly subject: readonly NameAttribute[];
  /** Big-endian serial number; normalised to a positive minimal INTEGER, 1..20 octets (RFC 5280 §4.1.2.2). */
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly ExtensionSpec[];
  readonly hash: HashName;
  /**
   * TEST-ONLY hook: change the TBSCertificate after the builder made it and before it is signed,
   * e.g. to make a profile violation the lint must find (wrong version, negative serial, duplicate
   * extension). Production code never passes it; the builder checks nothing after it ran.
   */
  readonly mutate?: (tbs: TBSCertificate) => void;
}

export interface BuiltCertificate {
  readonly der: Uint8Array;
  /** Lower-case hex of the serial number as encoded (no sign octet). */
  readonly serialHex: string;
}

/** X.520 wants C and serialNumber as PrintableString (RFC 5280 App. A); other strings are UTF8String. */
function attributeValue(a: NameAttribute): AttributeValue {
  return a.type === 'C' || a.type === 'serialNumber'
    ? new AttributeValue({ printableString: a.value })
    : new AttributeValue({ utf8String: a.value });
}

export function encodeName(attributes: readonly NameAttribute[]): Name {
  return new Name(
    attributes.map(
      (a) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({ type: NAME_ATTRIBUTE_OIDS[a.type], value: attributeValue(a) }),
        ]),
    ),
  );
}

/** Positive minimal two's-complement INTEGER content for an unsigned big-endian number. */
export function serialInteger(serial: Uint8Array): Uint8Array {
  let i = 0;
  while (i < serial.length && serial[i] === 0) i++;
  const body = serial.subarray(i);
  if (body.length === 0) throw new PkiError('SMGW_PKI_BAD_ARGUMENT', 'serial number must be positive');
  const out = new Uint8Array(body.length + ((body[0] ?? 0) & 0x80 ? 1 : 0));
  out.set(body, out.length - body.length);
  if (out.length > 20) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `serial number of ${out.length} octets; RFC 5280 allows at most 20`);
  }
  return out;
}

export function hexOfSerial(integer: Uint8Array): string {
  let i = 0;
  while (i < integer.length - 1 && integer[i] === 0) i++;
  return Buffer.from(integer.subarray(i)).toString('hex');
}

export function signatureAlgorithm(hash: HashName): AlgorithmIdentifier {
  // RFC 5758 §3.2: the parameters field of ecdsa-with-SHA* MUST be absent.
  return new AlgorithmIdentifier({ algorithm: ECDSA_OIDS[hash] });
}

/** The issuer Name (the issuer certificate's subject, byte for byte) and the issuer's public key. */
export async function resolveSigner(
  signer: Signer,
  selfSubject: readonly NameAttribute[] | undefined,
): Promise<{ name: Name; key: EcPublicKey }> {
  const key = await signer.module.publicKey(signer.slot);
  if (!signer.certificate) {
    if (!selfSubject) throw new PkiError('SMGW_PKI_BAD_ARGUMENT', 'signer has no certificate');
    return { name: encodeName(selfSubject), key };
  }
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(signer.certificate, Certificate);
  } catch (e) {
    throw new PkiError('SMGW_PKI_MALFORMED', 'issuer certificate is not a DER X.509 certificate', { cause: e });
  }
  const certKey = parseSpki(new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)));
  if (!bytesEqual(certKey.spki, key.spki)) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `the key in slot ${signer.slot} does not match the issuer certificate`);
  }
  return { name: cert.tbsCertificate.subject, key };
}

/**
 * Signs `tbs` with the signer's key, and checks the signature with the signer's public key
 * before anything leaves the builder (a broken module must not produce a certificate).
 */
export async function signWith(signer: Signer, key: EcPublicKey, tbs: Uint8Array, hash: HashName): Promise<Uint8Array> {
  const signature = await signer.module.sign(signer.slot, tbs, hash);
  if (!verifySignature(key.spki, tbs, signature, hash)) {
    throw new PkiError('SMGW_PKI_BAD_SIGNATURE', `the signature of slot ${signer.slot} does not verify`);
  }
  return signature;
}

export async function issueCertificate(o: IssueCertificateOptions): Promise<BuiltCertificate> {
  if (!(o.notBefore.getTime() <= o.notAfter.getTime())) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', 'notAfter is before notBefore');
  }
  const selfSigned = o.issuer.certificate === undefined;
  const issuer = await resolveSigner(o.issuer, o.subject);
  if (selfSigned && !bytesEqual(issuer.key.spki, o.subjectPublicKey.spki)) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `self-signed: the key in slot ${o.issuer.slot} is not the subject key`);
  }
  const serial = serialInteger(o.serial);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.buffer as ArrayBuffer,
    signature: signatureAlgorithm(o.hash),
    issuer: issuer.name,
    validity: new Validity({ notBefore: o.notBefore, notAfter: o.notAfter }),
    subject: encodeName(o.subject),
    subjectPublicKeyInfo: AsnConvert.parse(o.subjectPublicKey.spki, SubjectPublicKeyInfo),
  });
  if (o.extensions.length > 0) tbs.extensions = new Extensions(o.extensions.map(toAsnExtension));
  o.mutate?.(tbs);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signWith(o.issuer, issuer.key, tbsDer, o.hash);
  const der = assembleSigned(tbsDer, o.hash, signature);
  return { der, serialHex: hexOfSerial(serial) };
}

/**
 * SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING }: the outer shape of a Certificate,
 * CertificateList and CertificationRequest alike, written around the exact TBS bytes that were
 * signed (re-serialising a parsed TBS could differ).
 */
export function assembleSigned(tbsDer: Uint8Array, hash: HashName, signature: Uint8Array): Uint8Array {
  const alg = new Uint8Array(AsnConvert.serialize(signatureAlgorithm(hash)));
  const bitString = derTlv(0x03, concatBytes(new Uint8Array([0]), signature));
  return derTlv(0x30, concatBytes(tbsDer, alg, bitString));
}
