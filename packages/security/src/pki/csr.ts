/**
 * PKCS#10 certification requests (RFC 2986): built and signed by a key inside a SecurityModule
 * (issue 3 part 2: "certificate requests signed by a key inside a security module"), parsed and
 * their self-signature verified with node:crypto before a CA issues from them. Sans-I/O apart from
 * the module call. Anything that is not a well-formed ECDSA request on a TR-03116-3 curve is a
 * PkiError, never another exception.
 */

import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, Extensions, type Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CURVES, type HashName, hashByEcdsaOid } from '../curves.js';
import { type EcPublicKey, parseSpki, verifySignature } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { assembleSigned, encodeName, type NameAttribute } from './certificate-builder.js';
import { type ExtensionSpec, toAsnExtension } from './certificate-extensions.js';
import { dnAttributeKey } from './distinguished-name.js';

/** PKCS#9 extensionRequest (RFC 2985 §5.4.2): extensions the requester asks for (e.g. a SAN). */
export const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

export interface BuildCsrOptions {
  readonly module: SecurityModule;
  readonly slot: string;
  readonly subject: readonly NameAttribute[];
  /** Default: the hash matching the key's curve (SHA-256 for brainpoolP256r1). */
  readonly hash?: HashName;
  /** Requested extensions, carried in an extensionRequest attribute. */
  readonly extensions?: readonly ExtensionSpec[];
  /** TEST-ONLY hook: change the CertificationRequestInfo before it is signed. */
  readonly mutate?: (info: CertificationRequestInfo) => void;
}

/** A DER PKCS#10 request for the key in `slot`, signed by that key. */
export async function buildCsr(o: BuildCsrOptions): Promise<Uint8Array> {
  const key = await o.module.publicKey(o.slot);
  const hash = o.hash ?? CURVES[key.curve].hash;
  const attributes = new Attributes();
  if (o.extensions && o.extensions.length > 0) {
    attributes.push(
      new Attribute({
        type: EXTENSION_REQUEST_OID,
        values: [AsnConvert.serialize(new Extensions(o.extensions.map(toAsnExtension)))],
      }),
    );
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: encodeName(o.subject),
    subjectPKInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
    attributes,
  });
  o.mutate?.(info);
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const signature = await o.module.sign(o.slot, infoDer, hash);
  if (!verifySignature(key.spki, infoDer, signature, hash)) {
    throw new PkiError('SMGW_PKI_BAD_SIGNATURE', `the signature of slot ${o.slot} does not verify`);
  }
  return assembleSigned(infoDer, hash, signature);
}

/** One subject attribute as read: short name where we know it, else the OID. */
export interface ParsedNameAttribute {
  readonly type: string;
  readonly oid: string;
  readonly value: string;
}

export interface ParsedCsr {
  readonly der: Uint8Array;
  readonly subject: readonly ParsedNameAttribute[];
  /** The single CN, if there is exactly one. */
  readonly commonName: string | undefined;
  readonly publicKey: EcPublicKey;
  readonly hash: HashName;
  readonly requestedExtensions: readonly ExtensionSpec[];
  /** The signed CertificationRequestInfo bytes and the signature over them. */
  readonly signedBytes: Uint8Array;
  readonly signature: Uint8Array;
}

function malformed(message: string, cause?: unknown): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `CSR: ${message}`, cause === undefined ? {} : { cause });
}

export function readName(name: Name): ParsedNameAttribute[] {
  const out: ParsedNameAttribute[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      out.push({ type: dnAttributeKey(atv.type) ?? atv.type, oid: atv.type, value: atv.value.toString() });
    }
  }
  return out;
}

/** Length of the single DER TLV at the start of `der`, or -1 if the header is unusable. */
function tlvLength(der: Uint8Array): number {
  if (der.length < 2) return -1;
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || der.length < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (der[2 + i] ?? 0);
  return 2 + n + len;
}

/** Parses a DER PKCS#10 request (no signature check: see `verifyCsr`). */
export function parseCsr(der: Uint8Array): ParsedCsr {
  if (der[0] !== 0x30 || tlvLength(der) !== der.length) throw malformed('not a single DER SEQUENCE');
  let req: CertificationRequest;
  try {
    req = AsnConvert.parse(der, CertificationRequest);
  } catch (e) {
    throw malformed('not a PKCS#10 CertificationRequest', e);
  }
  try {
    const info = req.certificationRequestInfo;
    if (info.version !== 0) throw malformed(`version ${info.version}, expected 0 (v1)`);
    const hash = hashByEcdsaOid(req.signatureAlgorithm.algorithm);
    if (!hash)
      throw malformed(`signature algorithm ${req.signatureAlgorithm.algorithm} is not ecdsa-with-SHA256/384/512`);
    if (req.signatureAlgorithm.parameters) throw malformed('ecdsa-with-SHA* parameters must be absent (RFC 5758)');
    let publicKey: EcPublicKey;
    try {
      publicKey = parseSpki(new Uint8Array(AsnConvert.serialize(info.subjectPKInfo)));
    } catch (e) {
      throw malformed(`public key: ${(e as Error).message}`, e);
    }
    const subject = readName(info.subject);
    const cns = subject.filter((a) => a.type === 'CN');
    const requestedExtensions: ExtensionSpec[] = [];
    for (const attr of info.attributes ?? []) {
      if (attr.type !== EXTENSION_REQUEST_OID) continue;
      for (const v of attr.values) {
        for (const ext of AsnConvert.parse(v, Extensions)) {
          requestedExtensions.push({
            oid: ext.extnID,
            critical: ext.critical,
            value: new Uint8Array(ext.extnValue.buffer),
          });
        }
      }
    }
    const raw = req.certificationRequestInfoRaw;
    if (!raw) throw malformed('request info bytes not available');
    return {
      der: new Uint8Array(der),
      subject,
      commonName: cns.length === 1 ? cns[0]?.value : undefined,
      publicKey,
      hash,
      requestedExtensions,
      signedBytes: new Uint8Array(raw),
      signature: new Uint8Array(req.signature),
    };
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw malformed('unreadable request contents', e);
  }
}

/** Checks the request's self-signature (proof of possession). SMGW_PKI_BAD_SIGNATURE if it fails. */
export function verifyCsr(csr: ParsedCsr): void {
  if (!verifySignature(csr.publicKey.spki, csr.signedBytes, csr.signature, csr.hash)) {
    throw new PkiError('SMGW_PKI_BAD_SIGNATURE', 'CSR: the self-signature does not verify');
  }
}

/** `parseCsr` and `verifyCsr` in one step: what a CA does before issuing. */
export function readVerifiedCsr(der: Uint8Array): ParsedCsr {
  const csr = parseCsr(der);
  verifyCsr(csr);
  return csr;
}
