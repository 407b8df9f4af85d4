/**
 * A read-only outline of a CMS container (what `smgw cms print` shows, docs/cms.md): the outer
 * SignedData (signer, signing time, algorithms, embedded certificates) and, for the WAN
 * containers of spec notes §3.7, the inner AuthEnvelopedData (recipients, key agreement, key
 * wrap, content encryption with its nonce/tag lengths, ciphertext length). It needs no key and
 * checks nothing cryptographic: an outline describes a container, it does not vouch for it
 * (that is `openContainer` / `verifySigned`).
 *
 * Sans-I/O. The input must be one DER object (the strict walk of pki/der-structure.ts, as for
 * opening); anything that is not a DER ContentInfo(SignedData) of readable shape is
 * SMGW_CMS_MALFORMED, and nothing but a CmsError is thrown. Unlike opening, structures our
 * profile refuses (several signers, other recipient kinds, authAttrs) are described, not
 * rejected: a test lab looks at foreign containers too.
 */
import { ContentInfo, type IssuerAndSerialNumber, type RecipientInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, type Name, Time } from '@peculiar/asn1-x509';
import { CURVES } from '../curves.js';
import { CmsError } from '../errors.js';
import { checkDer } from '../pki/der-structure.js';
import { parseName } from '../pki/distinguished-name.js';
import type { ContentEncryption } from './auth-enveloped-data.js';
import { AuthEnvelopedData, GcmParameters } from './cms-asn1.js';
import {
  ID_AES128_CBC,
  ID_AES128_GCM,
  ID_AES128_WRAP,
  ID_CONTENT_TYPE,
  ID_CT_AUTH_ENVELOPED_DATA,
  ID_DATA,
  ID_DH_SINGLE_PASS_STD_DH_SHA256KDF,
  ID_EC_PUBLIC_KEY,
  ID_ECDSA_WITH_SHA256,
  ID_ECKA_EG_X963KDF_SHA256,
  ID_MESSAGE_DIGEST,
  ID_SHA256,
  ID_SIGNED_DATA,
  ID_SIGNING_TIME,
} from './oids.js';

/** An algorithm or type: the OID, and our name for it when we know one. */
export interface OidOutline {
  readonly oid: string;
  readonly name?: string;
}

/** IssuerAndSerialNumber (issuer as `CN=...,O=...,C=DE` in encoded order, serial as lowercase hex). */
export interface IssuerSerialOutline {
  readonly issuer: string;
  readonly serial: string;
}

/** A signer or recipient identifier: issuerAndSerialNumber or a subject key identifier (hex). */
export type IdentifierOutline = IssuerSerialOutline | { readonly subjectKeyIdentifier: string };

export interface CertificateOutline {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
}

/** A SignerInfo: its identifier (issuer/serial, or subjectKeyIdentifier) and what it says. */
export type SignerOutline = IdentifierOutline & {
  readonly version: number;
  readonly digestAlgorithm: OidOutline;
  readonly signatureAlgorithm: OidOutline;
  readonly signedAttributes: readonly OidOutline[];
  /** ISO 8601, when a signing-time attribute is present. */
  readonly signingTime?: string;
  readonly signatureLength: number;
  readonly unsignedAttributes: number;
};

export interface SignedDataOutline {
  readonly version: number;
  readonly digestAlgorithms: readonly OidOutline[];
  readonly eContentType: OidOutline;
  /** Length of the encapsulated content (the AuthEnvelopedData, or the payload when signed-only); absent when detached. */
  readonly eContentLength?: number;
  /** X.509 certificates; other certificate choices are counted in `otherCertificates`. */
  readonly certificates: readonly CertificateOutline[];
  readonly otherCertificates: number;
  readonly crls: number;
  readonly signers: readonly SignerOutline[];
}

export interface RecipientOutline {
  /** RFC 5652 §6.2 choice: kari is what our containers carry. */
  readonly type: 'kari' | 'ktri' | 'kekri' | 'pwri' | 'ori';
  readonly version?: number;
  /** kari: the originator (an ephemeral public key in our containers). */
  readonly originator?:
    | { readonly type: 'originatorKey'; readonly algorithm: OidOutline; readonly publicKeyLength: number }
    | { readonly type: 'issuerAndSerialNumber' | 'subjectKeyIdentifier' };
  /** kari: length of the user keying material, when present. */
  readonly ukmLength?: number;
  /** kari: keyEncryptionAlgorithm (the key agreement scheme). */
  readonly keyAgreement?: OidOutline;
  /** kari: the key-wrap algorithm in the key agreement's parameters. */
  readonly keyWrap?: OidOutline;
  readonly recipientEncryptedKeys?: readonly (IdentifierOutline & { readonly encryptedKeyLength: number })[];
}

export interface ContentEncryptionOutline {
  readonly algorithm: OidOutline;
  /** Our name for the scheme (spec notes §3.7) when the algorithm is one of ours. */
  readonly encryption?: ContentEncryption;
  /** GCM: nonce and ICV (tag) length from GCMParameters. */
  readonly nonceLength?: number;
  readonly icvLength?: number;
  /** CBC: IV length. */
  readonly ivLength?: number;
}

export interface AuthEnvelopedDataOutline {
  readonly version: number;
  readonly recipients: readonly RecipientOutline[];
  readonly contentType: OidOutline;
  readonly contentEncryption: ContentEncryptionOutline;
  /** Absent when the encryptedContent is absent. */
  readonly ciphertextLength?: number;
  readonly macLength: number;
  readonly authAttributes: number;
  readonly unauthAttributes: number;
}

export interface ContainerOutline {
  readonly contentType: OidOutline;
  readonly signedData: SignedDataOutline;
  /** Present when the eContentType is id-ct-authEnvelopedData (the WAN containers). */
  readonly authEnvelopedData?: AuthEnvelopedDataOutline;
}

const OID_NAMES: ReadonlyMap<string, string> = new Map([
  [ID_DATA, 'id-data'],
  [ID_SIGNED_DATA, 'id-signedData'],
  [ID_CT_AUTH_ENVELOPED_DATA, 'id-ct-authEnvelopedData'],
  [ID_CONTENT_TYPE, 'content-type'],
  [ID_MESSAGE_DIGEST, 'message-digest'],
  [ID_SIGNING_TIME, 'signing-time'],
  [ID_SHA256, 'id-sha256'],
  ['2.16.840.1.101.3.4.2.2', 'id-sha384'],
  ['2.16.840.1.101.3.4.2.3', 'id-sha512'],
  [ID_ECDSA_WITH_SHA256, 'ecdsa-with-SHA256'],
  ['1.2.840.10045.4.3.3', 'ecdsa-with-SHA384'],
  ['1.2.840.10045.4.3.4', 'ecdsa-with-SHA512'],
  [ID_EC_PUBLIC_KEY, 'id-ecPublicKey'],
  [ID_ECKA_EG_X963KDF_SHA256, 'ecka-eg-X963KDF-SHA256'],
  [ID_DH_SINGLE_PASS_STD_DH_SHA256KDF, 'dhSinglePass-stdDH-sha256kdf-scheme'],
  [ID_AES128_WRAP, 'id-aes128-wrap'],
  ['2.16.840.1.101.3.4.1.25', 'id-aes192-wrap'],
  ['2.16.840.1.101.3.4.1.45', 'id-aes256-wrap'],
  [ID_AES128_GCM, 'id-aes128-GCM'],
  [ID_AES128_CBC, 'id-aes128-CBC'],
  ...Object.entries(CURVES).map(([name, c]): [string, string] => [c.oid, name]),
]);

function oid(value: string): OidOutline {
  const name = OID_NAMES.get(value);
  return name === undefined ? { oid: value } : { oid: value, name };
}

function malformed(message: string, cause?: unknown): CmsError {
  return new CmsError('SMGW_CMS_MALFORMED', message, cause === undefined ? {} : { cause });
}

function parseAs<T>(bytes: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(bytes, type);
  } catch (e) {
    throw malformed(`${what} does not parse`, e);
  }
}

// The schema's SET OF / SEQUENCE OF are AsnArray subclasses: Array.from gives plain arrays.

/** Serial number as ParsedCertificate writes it: lowercase hex, leading zero bytes stripped. */
function serialHex(bytes: ArrayBuffer): string {
  const b = new Uint8Array(bytes);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return Buffer.from(b.subarray(i)).toString('hex');
}

function nameText(name: Name): string {
  return parseName(new Uint8Array(AsnConvert.serialize(name))).text;
}

function issuerSerial(ias: IssuerAndSerialNumber): IssuerSerialOutline {
  return { issuer: nameText(ias.issuer), serial: serialHex(ias.serialNumber) };
}

function hex(bytes: ArrayBuffer | OctetString): string {
  return Buffer.from(bytes instanceof OctetString ? bytes.buffer : bytes).toString('hex');
}

function signedDataOutline(sd: SignedData): SignedDataOutline {
  const eContent = sd.encapContentInfo.eContent;
  const eContentLength =
    eContent?.single !== undefined
      ? eContent.single.byteLength
      : eContent?.any !== undefined
        ? eContent.any.byteLength
        : undefined;
  const certificates: CertificateOutline[] = [];
  let otherCertificates = 0;
  for (const choice of sd.certificates ?? []) {
    const tbs = choice.certificate?.tbsCertificate;
    if (tbs === undefined) {
      otherCertificates++;
      continue;
    }
    certificates.push({
      subject: nameText(tbs.subject),
      issuer: nameText(tbs.issuer),
      serial: serialHex(tbs.serialNumber),
    });
  }
  const signers = Array.from(sd.signerInfos, (si): SignerOutline => {
    const attrs = si.signedAttrs ?? [];
    const time = attrs.find((a) => a.attrType === ID_SIGNING_TIME)?.attrValues[0];
    const id: IdentifierOutline = si.sid.issuerAndSerialNumber
      ? issuerSerial(si.sid.issuerAndSerialNumber)
      : { subjectKeyIdentifier: hex(si.sid.subjectKeyIdentifier ?? new OctetString()) };
    return {
      version: si.version,
      ...id,
      digestAlgorithm: oid(si.digestAlgorithm.algorithm),
      signatureAlgorithm: oid(si.signatureAlgorithm.algorithm),
      signedAttributes: Array.from(attrs, (a) => oid(a.attrType)),
      ...(time === undefined ? {} : { signingTime: parseAs(time, Time, 'signing-time').getTime().toISOString() }),
      signatureLength: si.signature.byteLength,
      unsignedAttributes: si.unsignedAttrs?.length ?? 0,
    };
  });
  return {
    version: sd.version,
    digestAlgorithms: Array.from(sd.digestAlgorithms, (a) => oid(a.algorithm)),
    eContentType: oid(sd.encapContentInfo.eContentType),
    ...(eContentLength === undefined ? {} : { eContentLength }),
    certificates,
    otherCertificates,
    crls: sd.crls?.length ?? 0,
    signers,
  };
}

function recipientOutline(ri: RecipientInfo): RecipientOutline {
  const kari = ri.kari;
  if (kari === undefined) {
    const type = ri.ktri ? 'ktri' : ri.kekri ? 'kekri' : ri.pwri ? 'pwri' : 'ori';
    const version = ri.ktri?.version ?? ri.kekri?.version ?? ri.pwri?.version;
    return version === undefined ? { type } : { type, version };
  }
  const o = kari.originator;
  const originator: RecipientOutline['originator'] = o.originatorKey
    ? {
        type: 'originatorKey',
        algorithm: oid(o.originatorKey.algorithm.algorithm),
        publicKeyLength: o.originatorKey.publicKey.byteLength,
      }
    : { type: o.issuerAndSerialNumber ? 'issuerAndSerialNumber' : 'subjectKeyIdentifier' };
  const params = kari.keyEncryptionAlgorithm.parameters;
  const wrap = params ? parseAs(params, AlgorithmIdentifier, 'the key-wrap AlgorithmIdentifier') : undefined;
  return {
    type: 'kari',
    version: kari.version,
    originator,
    ...(kari.ukm === undefined ? {} : { ukmLength: kari.ukm.byteLength }),
    keyAgreement: oid(kari.keyEncryptionAlgorithm.algorithm),
    ...(wrap === undefined ? {} : { keyWrap: oid(wrap.algorithm) }),
    recipientEncryptedKeys: Array.from(kari.recipientEncryptedKeys, (rek) => ({
      ...(rek.rid.issuerAndSerialNumber
        ? issuerSerial(rek.rid.issuerAndSerialNumber)
        : { subjectKeyIdentifier: hex(rek.rid.rKeyId?.subjectKeyIdentifier ?? new OctetString()) }),
      encryptedKeyLength: rek.encryptedKey.byteLength,
    })),
  };
}

function contentEncryptionOutline(alg: AlgorithmIdentifier): ContentEncryptionOutline {
  const algorithm = oid(alg.algorithm);
  if (alg.algorithm === ID_AES128_GCM && alg.parameters) {
    const p = parseAs(alg.parameters, GcmParameters, 'GCMParameters');
    return { algorithm, encryption: 'aes-128-gcm', nonceLength: p.nonce.byteLength, icvLength: p.icvLen };
  }
  if (alg.algorithm === ID_AES128_CBC && alg.parameters) {
    const iv = parseAs(alg.parameters, OctetString, 'the CBC IV');
    return { algorithm, encryption: 'aes-128-cbc-cmac', ivLength: iv.byteLength };
  }
  return { algorithm };
}

function authEnvelopedDataOutline(bytes: Uint8Array): AuthEnvelopedDataOutline {
  strictDer(bytes, 'the AuthEnvelopedData');
  const aed = parseAs(bytes, AuthEnvelopedData, 'the AuthEnvelopedData');
  const eci = aed.authEncryptedContentInfo;
  const ec = eci.encryptedContent;
  const ciphertextLength =
    ec?.value !== undefined
      ? ec.value.byteLength
      : ec?.constructedValue !== undefined
        ? ec.constructedValue.reduce((n, p) => n + p.byteLength, 0)
        : undefined;
  return {
    version: aed.version,
    recipients: Array.from(aed.recipientInfos, recipientOutline),
    contentType: oid(eci.contentType),
    contentEncryption: contentEncryptionOutline(eci.contentEncryptionAlgorithm),
    ...(ciphertextLength === undefined ? {} : { ciphertextLength }),
    macLength: aed.mac.byteLength,
    authAttributes: aed.authAttrs?.length ?? 0,
    unauthAttributes: aed.unauthAttrs?.length ?? 0,
  };
}

function strictDer(bytes: Uint8Array, what: string): void {
  try {
    checkDer(bytes);
  } catch (e) {
    throw malformed(`${what} is not DER`, e);
  }
}

function outline(bytes: Uint8Array): ContainerOutline {
  strictDer(bytes, 'the container');
  const ci = parseAs(bytes, ContentInfo, 'ContentInfo');
  if (ci.contentType !== ID_SIGNED_DATA) {
    throw malformed(`ContentInfo type ${ci.contentType} is not id-signedData`);
  }
  const sd = parseAs(ci.content, SignedData, 'SignedData');
  const signedData = signedDataOutline(sd);
  const eContent = sd.encapContentInfo.eContent?.single;
  if (sd.encapContentInfo.eContentType !== ID_CT_AUTH_ENVELOPED_DATA || eContent === undefined) {
    return { contentType: oid(ci.contentType), signedData };
  }
  return {
    contentType: oid(ci.contentType),
    signedData,
    authEnvelopedData: authEnvelopedDataOutline(new Uint8Array(eContent.buffer)),
  };
}

/**
 * Outlines a DER container (a `sealContainer` or `signOnly` output, or any ContentInfo
 * SignedData). Throws only CmsError (SMGW_CMS_MALFORMED, or SMGW_CMS_BAD_ARGUMENT for non-bytes).
 */
export function outlineContainer(container: Uint8Array): ContainerOutline {
  if (!(container instanceof Uint8Array)) throw new CmsError('SMGW_CMS_BAD_ARGUMENT', 'the container must be bytes');
  try {
    return outline(container);
  } catch (e) {
    if (e instanceof CmsError) throw e;
    // parseName's PkiError, or a library throwing on hostile input: still the container's fault.
    throw malformed('the container could not be read', e);
  }
}
