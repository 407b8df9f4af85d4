/**
 * The three things the CMS containers need from an X.509 certificate: issuer and serial number
 * (the IssuerAndSerialNumber that names a recipient or signer, RFC 5652 §10.2.4) and the EC
 * public key. Full certificate handling (profiles, path validation) is pki/'s job; a gateway
 * plugs that in through `openContainer`'s `validateSender`.
 */
import { bytesEqual } from '@opensmgw/core';
import { IssuerAndSerialNumber } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name } from '@peculiar/asn1-x509';
import { type EcPublicKey, parseSpki } from '../ec-keys.js';
import { CmsError, type CmsErrorCode } from '../errors.js';

export interface CmsCertificate {
  /** The certificate as given (DER). */
  readonly der: Uint8Array;
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** Content octets of the serialNumber INTEGER. */
  readonly serialNumber: Uint8Array;
  readonly publicKey: EcPublicKey;
}

/** Parses a DER certificate; anything unusable is a CmsError with `code`. */
export function readCmsCertificate(der: Uint8Array, code: CmsErrorCode, what: string): CmsCertificate {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw new CmsError(code, `${what}: not a DER X.509 certificate`, { cause: e });
  }
  let publicKey: EcPublicKey;
  try {
    publicKey = parseSpki(new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)));
  } catch (e) {
    throw new CmsError(code, `${what}: the public key is not an EC key on a TR-03116-3 curve`, { cause: e });
  }
  return {
    der: new Uint8Array(der),
    issuer: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.issuer)),
    serialNumber: new Uint8Array(cert.tbsCertificate.serialNumber),
    publicKey,
  };
}

/** The IssuerAndSerialNumber naming this certificate. */
export function issuerAndSerialNumberOf(cert: CmsCertificate): IssuerAndSerialNumber {
  return new IssuerAndSerialNumber({
    issuer: AsnConvert.parse(cert.issuer, Name),
    serialNumber: new Uint8Array(cert.serialNumber).buffer as ArrayBuffer,
  });
}

/** True when `ias` names `cert` (issuer DER and serial octets equal). */
export function namesCertificate(ias: IssuerAndSerialNumber, cert: CmsCertificate): boolean {
  return (
    bytesEqual(new Uint8Array(ias.serialNumber), cert.serialNumber) &&
    bytesEqual(new Uint8Array(AsnConvert.serialize(ias.issuer)), cert.issuer)
  );
}
