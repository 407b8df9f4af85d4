/**
 * The three things the CMS containers need from an X.509 certificate: issuer and serial number
 * (the IssuerAndSerialNumber that names a recipient or signer, RFC 5652 §10.2.4) and the EC
 * public key. Full certificate handling (profiles, path validation) is pki/'s job; a gateway
 * plugs that in through `openContainer`'s `validateSender`.
 *
 * The same few certificates (the sender's, the recipients', the trusted senders') come back in
 * every container, so what is read from them, and the imported keys, are cached by the
 * certificate's bytes (bytes-cache.ts): each is parsed and each key imported (and checked on the
 * curve by OpenSSL) once, not several times per container. Failures are not cached.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bytesEqual } from '@opensmgw/core';
import { CURVES, type CurveName } from '../curves.js';
import { type DerTlv, tlv } from '../der-writer.js';
import { type EcPublicKey, parseSpki, toKeyObject } from '../ec-keys.js';
import { CmsError, type CmsErrorCode } from '../errors.js';
import { checkDer, childrenOf, contentOf, encodingOf, type Tlv } from '../pki/der-structure.js';
import { BytesCache } from './bytes-cache.js';
import { reencodedName } from './schema-values.js';

export interface CmsCertificate {
  /** The certificate (DER); a copy the caller may keep. */
  readonly der: Uint8Array;
  /** DER of the issuer Name (shared with the cache: read only). */
  readonly issuer: Uint8Array;
  /** Content octets of the serialNumber INTEGER (shared with the cache: read only). */
  readonly serialNumber: Uint8Array;
  /** DER SubjectPublicKeyInfo (shared with the cache: read only). */
  readonly spki: Uint8Array;
}

type CertificateFields = Omit<CmsCertificate, 'der'>;

function shapeError(code: CmsErrorCode, what: string, cause?: unknown): CmsError {
  return new CmsError(code, `${what}: not a DER X.509 certificate`, cause === undefined ? {} : { cause });
}

/** Certificates of up to 16 KB, the last 64 seen (SM-PKI certificates are under 1 KB). */
const FIELDS = new BytesCache<CertificateFields>(64, 16384);

/**
 * Reads issuer, serial number and SubjectPublicKeyInfo straight from the DER (a strict TLV walk,
 * no schema parse): the fields come out exactly as encoded, and the walk is cheap enough to run
 * on every container. Anything that is not shaped like a certificate is a CmsError with `code`.
 * Certificate validity (signature, profile) is the job of pki/, through `validateSender`.
 */
export function readCmsCertificate(der: Uint8Array, code: CmsErrorCode, what: string): CmsCertificate {
  const fields = FIELDS.get(der, () => certificateFields(der, code, what));
  return { der: new Uint8Array(der), ...fields };
}

function certificateFields(der: Uint8Array, code: CmsErrorCode, what: string): CertificateFields {
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
    issuer: encodingOf(der, issuer).slice(),
    serialNumber: contentOf(der, serial).slice(),
    spki: encodingOf(der, spki).slice(),
  };
}

/** A public key read by `parseSpki` and imported for key agreement. */
interface AgreementKey {
  readonly key: EcPublicKey;
  readonly keyObject: KeyObject;
}

const AGREEMENT_KEYS = new BytesCache<AgreementKey>(64, 4096);

function agreementKey(spki: Uint8Array): AgreementKey {
  return AGREEMENT_KEYS.get(spki, () => {
    const key = parseSpki(spki);
    return { key, keyObject: toKeyObject(key.spki) };
  });
}

/**
 * The certificate's EC public key on a TR-03116-3 curve (checked on the curve by OpenSSL).
 * Shared with the cache: read only.
 */
export function publicKeyOf(cert: CmsCertificate, code: CmsErrorCode, what: string): EcPublicKey {
  try {
    return agreementKey(cert.spki).key;
  } catch (e) {
    throw new CmsError(code, `${what}: the public key is not an EC key on a TR-03116-3 curve`, { cause: e });
  }
}

/**
 * `publicKeyOf` and the same key as a node:crypto KeyObject for ECDH (ECKA-EG towards a
 * recipient), imported once per certificate.
 */
export function agreementKeyOf(
  cert: CmsCertificate,
  code: CmsErrorCode,
  what: string,
): { readonly curve: CurveName; readonly keyObject: KeyObject } {
  try {
    const { key, keyObject } = agreementKey(cert.spki);
    return { curve: key.curve, keyObject };
  } catch (e) {
    throw new CmsError(code, `${what}: the public key is not an EC key on a TR-03116-3 curve`, { cause: e });
  }
}

const OPENSSL_CURVES = new Set(Object.values(CURVES).map((c) => c.opensslName));

const VERIFICATION_KEYS = new BytesCache<KeyObject>(64, 4096);

/**
 * The certificate's public key as a node:crypto KeyObject for signature verification: one
 * OpenSSL import (which checks the point), with the curve checked against TR-03116-3.
 */
export function verificationKeyOf(cert: CmsCertificate, code: CmsErrorCode, what: string): KeyObject {
  return VERIFICATION_KEYS.get(cert.spki, () => {
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
  });
}

/**
 * DER IssuerAndSerialNumber naming this certificate, as the schema serialiser wrote it (the
 * issuer Name read and re-encoded by asn1-schema, cached; the serial's content octets as they
 * are). Throws what the schema parser throws for an issuer it cannot read.
 */
export function issuerAndSerialNumberOf(cert: CmsCertificate): DerTlv {
  return tlv(0x30, reencodedName(cert.issuer), tlv(0x02, cert.serialNumber));
}

/** An IssuerAndSerialNumber as read from a container: the serial and a way to the issuer's DER. */
export interface IssuerAndSerial {
  /** Content octets of the serialNumber INTEGER. */
  readonly serialNumber: Uint8Array;
  /** The issuer Name as the schema serialiser writes it (computed when first needed). */
  readonly issuer: () => Uint8Array;
}

/** True when `ias` names `cert` (serial octets and issuer DER equal; the issuer only if needed). */
export function namesCertificate(ias: IssuerAndSerial, cert: CmsCertificate): boolean {
  return bytesEqual(ias.serialNumber, cert.serialNumber) && bytesEqual(ias.issuer(), cert.issuer);
}
