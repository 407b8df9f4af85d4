/**
 * The three things the CMS containers need from an X.509 certificate: issuer and serial number
 * (the IssuerAndSerialNumber that names a recipient or signer, RFC 5652 §10.2.4) and the EC
 * public key. Full certificate handling (profiles, path validation) is pki/'s job; a gateway
 * plugs that in through `openContainer`'s `validateSender`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bytesEqual } from '@opensmgw/core';
import { IssuerAndSerialNumber } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { CURVES } from '../curves.js';
import { type EcPublicKey, parseSpki } from '../ec-keys.js';
import { CmsError, type CmsErrorCode } from '../errors.js';
import { checkDer, childrenOf, contentOf, encodingOf, type Tlv } from '../pki/der-structure.js';

export interface CmsCertificate {
  /** The certificate (DER). */
  readonly der: Uint8Array;
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** Content octets of the serialNumber INTEGER. */
  readonly serialNumber: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
}

function shapeError(code: CmsErrorCode, what: string, cause?: unknown): CmsError {
  return new CmsError(code, `${what}: not a DER X.509 certificate`, cause === undefined ? {} : { cause });
}

/**
 * Reads issuer, serial number and SubjectPublicKeyInfo straight from the DER (a strict TLV walk,
 * no schema parse): the fields come out exactly as encoded, and the walk is cheap enough to run
 * on every container. Anything that is not shaped like a certificate is a CmsError with `code`.
 * Certificate validity (signature, profile) is the job of pki/, through `validateSender`.
 */
export function readCmsCertificate(der: Uint8Array, code: CmsErrorCode, what: string): CmsCertificate {
  let outer: Tlv;
  try {
    outer = checkDer(der);
  } catch (e) {
    throw shapeError(code, what, e);
  }
  const cert = childrenOf(der, outer);
  const tbs = cert[0];
  if (outer.tag !== 0x30 || cert.length !== 3 || tbs?.tag !== 0x30) throw shapeError(code, what);
  const fields = childrenOf(der, tbs);
  const v = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const [serial, signature, issuer, validity, subject, spki] = fields.slice(v, v + 6);
  if (
    serial?.tag !== 0x02 ||
    signature?.tag !== 0x30 ||
    issuer?.tag !== 0x30 ||
    validity?.tag !== 0x30 ||
    subject?.tag !== 0x30 ||
    spki?.tag !== 0x30
  ) {
    throw shapeError(code, what);
  }
  return {
    der: new Uint8Array(der),
    issuer: encodingOf(der, issuer).slice(),
    serialNumber: contentOf(der, serial).slice(),
    spki: encodingOf(der, spki).slice(),
  };
}

/** The certificate's EC public key on a TR-03116-3 curve (checked on the curve by OpenSSL). */
export function publicKeyOf(cert: CmsCertificate, code: CmsErrorCode, what: string): EcPublicKey {
  try {
    return parseSpki(cert.spki);
  } catch (e) {
    throw new CmsError(code, `${what}: the public key is not an EC key on a TR-03116-3 curve`, { cause: e });
  }
}

const OPENSSL_CURVES = new Set(Object.values(CURVES).map((c) => c.opensslName));

/**
 * The certificate's public key as a node:crypto KeyObject for signature verification: one
 * OpenSSL import (which checks the point), with the curve checked against TR-03116-3.
 */
export function verificationKeyOf(cert: CmsCertificate, code: CmsErrorCode, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new CmsError(code, `${what}: the public key does not import`, { cause: e });
  }
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve === undefined || !OPENSSL_CURVES.has(curve)) {
    throw new CmsError(code, `${what}: the public key is not an EC key on a TR-03116-3 curve`);
  }
  return key;
}

/** The IssuerAndSerialNumber naming this certificate. */
export function issuerAndSerialNumberOf(cert: CmsCertificate): IssuerAndSerialNumber {
  return new IssuerAndSerialNumber({
    issuer: AsnConvert.parse(cert.issuer, Name),
    serialNumber: new Uint8Array(cert.serialNumber).buffer as ArrayBuffer,
  });
}

/** True when `ias` names `cert` (serial octets and issuer DER equal). */
export function namesCertificate(ias: IssuerAndSerialNumber, cert: CmsCertificate): boolean {
  return (
    bytesEqual(new Uint8Array(ias.serialNumber), cert.serialNumber) &&
    bytesEqual(new Uint8Array(AsnConvert.serialize(ias.issuer)), cert.issuer)
  );
}
