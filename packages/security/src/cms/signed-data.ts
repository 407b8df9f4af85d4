/**
 * RFC 5652 SignedData as the containers use it (spec notes §3.7): the outer layer of the WAN
 * containers (eContent = AuthEnvelopedData) and the whole of the HAN "signed-only" exports
 * (eContent = id-data). One signer, ECDSA with SHA-256 by the sender's SIG key in a security
 * module.
 *
 * SignerInfo: version 1, sid = issuerAndSerialNumber of the SIG certificate, digestAlgorithm
 * id-sha256, signed attributes content-type, signing-time, message-digest (RFC 5652 §5.3/§11;
 * [M] Anlage I fixes the exact set and the sid choice; we write the RFC's minimum plus
 * signing-time), signatureAlgorithm ecdsa-with-SHA256. The signer certificate (and an optional
 * chain) goes into `certificates`.
 *
 * Verification is strict, so that every bit of a container matters: the input must be DER
 * (a strict TLV walk first, and what is read must re-encode to exactly the bytes received; the
 * signature and the trust decision use the signed attributes and certificates exactly as
 * received), exactly the structures we write are accepted (one signer, no CRLs, no unsigned
 * attributes, the signer certificate embedded), the signature must verify with the embedded
 * signer certificate, and that certificate must be one of the trusted senders (byte for byte)
 * and/or pass the caller's validation (pki/ path validation). Certificates other than the
 * signer's are handed to `validateSender`; with `trustedSenders` alone they are not used.
 */
import { createHash } from 'node:crypto';
import { bytesEqual, type Clock, concatBytes, isSmgwError, systemClock } from '@opensmgw/core';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Time } from '@peculiar/asn1-x509';
import { type DerPart, der, derTlv, encodeDer, setOf, tlv } from '../der-writer.js';
import { verifySignature } from '../ec-keys.js';
import { CmsError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { checkDer, childrenOf, contentOf, encodingOf, readTlv, type Tlv } from '../pki/der-structure.js';
import { ObjectIdentifierValue } from './cms-asn1.js';
import {
  type CmsCertificate,
  issuerAndSerialNumberOf,
  namesCertificate,
  publicKeyOf,
  readCmsCertificate,
  verificationKeyOf,
} from './cms-certificate.js';
import { readingHostileInput, requireBytes } from './hostile-input.js';
import {
  ID_CONTENT_TYPE,
  ID_DATA,
  ID_ECDSA_WITH_SHA256,
  ID_MESSAGE_DIGEST,
  ID_SHA256,
  ID_SIGNED_DATA,
  ID_SIGNING_TIME,
} from './oids.js';
import { oidDer, oidOf } from './schema-values.js';
import {
  type AttributeView,
  readSignedDataBySchema,
  readSignedDataDirectly,
  type SignedDataView,
  type SignerInfoView,
} from './signed-data-view.js';

export interface CmsSigner {
  readonly module: SecurityModule;
  /** The slot holding the sender's SIG private key. */
  readonly slot: string;
  /** The sender's DER SIG certificate. */
  readonly certificate: Uint8Array;
  /** Further DER certificates for the receiver's path validation (sub-CA, ...). */
  readonly chain?: readonly Uint8Array[];
}

export interface SignedDataOptions {
  readonly eContentType: string;
  readonly eContent: Uint8Array;
  readonly signer: CmsSigner;
  /** Source of the signing-time attribute; default the system clock. */
  readonly clock?: Clock;
}

/**
 * Checks a sender's SIG certificate (e.g. pki/ path validation to the SM-PKI root, key usage,
 * revocation). Throw to reject; the container is then SMGW_CMS_BAD_SIGNATURE.
 */
export type SenderValidator = (
  sender: Uint8Array,
  otherCertificates: readonly Uint8Array[],
  signingTime: Date,
) => void | Promise<void>;

export interface SenderTrust {
  /** DER SIG certificates of the senders we accept (compared byte for byte). */
  readonly trustedSenders?: readonly Uint8Array[];
  /** A validation the sender certificate must pass. */
  readonly validateSender?: SenderValidator;
}

export interface VerifiedSignedData {
  readonly eContentType: string;
  readonly eContent: Uint8Array;
  /** The signer's DER certificate. */
  readonly sender: Uint8Array;
  readonly signingTime: Date;
}

const SIGNING_HASH = 'SHA-256';
const SIGNED_DATA_OID_DER = der(new ObjectIdentifierValue(ID_SIGNED_DATA));

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value } with one (encoded) value. */
function attribute(type: string, value: DerPart): Uint8Array {
  return encodeDer(tlv(0x30, oidDer(type), tlv(0x31, value)));
}

/** AlgorithmIdentifier with parameters absent (id-sha256, ecdsa-with-SHA256). */
function algorithm(oid: string): DerPart {
  return tlv(0x30, oidDer(oid));
}

/**
 * Builds a DER ContentInfo(id-signedData) over `eContent`. Written from its parts (der.ts), the
 * same bytes the asn1-schema objects of RFC 5652 serialise to, without their cost.
 */
export async function createSignedData(options: SignedDataOptions): Promise<Uint8Array> {
  const { signer } = options;
  const cert = readCmsCertificate(signer.certificate, 'SMGW_CMS_BAD_ARGUMENT', 'signer certificate');
  const chain = (signer.chain ?? []).map((c, i) => {
    readCmsCertificate(c, 'SMGW_CMS_BAD_ARGUMENT', `chain certificate ${i}`);
    return c;
  });
  const key = await signer.module.publicKey(signer.slot);
  if (!bytesEqual(key.spki, publicKeyOf(cert, 'SMGW_CMS_BAD_ARGUMENT', 'signer certificate').spki)) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `the signer certificate does not hold the key of slot ${signer.slot}`);
  }
  const eContent = requireBytes(options.eContent, 'the content');
  const signingTime = new Date((options.clock ?? systemClock).now());
  // The signed attributes, a DER SET OF: sorted by their encodings (X.690 §11.6, RFC 5652 §5.4).
  const attrs = setOf([
    attribute(ID_CONTENT_TYPE, oidDer(options.eContentType)),
    attribute(ID_SIGNING_TIME, der(new Time(signingTime))),
    attribute(ID_MESSAGE_DIGEST, tlv(0x04, sha256(eContent))),
  ]);
  const signature = await signer.module.sign(signer.slot, encodeDer(attrs), SIGNING_HASH);
  const signerInfo = tlv(
    0x30,
    Uint8Array.of(0x02, 0x01, 0x01), // version 1: sid is issuerAndSerialNumber
    issuerAndSerialNumberOf(cert),
    algorithm(ID_SHA256),
    tlv(0xa0, ...attrs.parts), // signedAttrs [0] IMPLICIT SET OF Attribute
    algorithm(ID_ECDSA_WITH_SHA256),
    tlv(0x04, signature),
  );
  // certificates [0] IMPLICIT CertificateSet goes between encapContentInfo and signerInfos. The
  // certificates are spliced in as given, never re-encoded, so a receiver that pins the sender's
  // certificate compares the very bytes the sender holds.
  const signedData = tlv(
    0x30,
    // RFC 5652 §5.1: version 3 when the eContentType is not id-data, else 1.
    Uint8Array.of(0x02, 0x01, options.eContentType === ID_DATA ? 1 : 3),
    tlv(0x31, algorithm(ID_SHA256)), // digestAlgorithms
    tlv(0x30, oidDer(options.eContentType), tlv(0xa0, tlv(0x04, eContent))), // encapContentInfo
    tlv(0xa0, cert.der, ...chain),
    tlv(0x31, signerInfo),
  );
  return encodeDer(tlv(0x30, SIGNED_DATA_OID_DER, tlv(0xa0, signedData)));
}

function malformed(message: string, cause?: unknown): CmsError {
  return new CmsError('SMGW_CMS_MALFORMED', message, cause === undefined ? {} : { cause });
}

function unsupported(message: string): CmsError {
  return new CmsError('SMGW_CMS_UNSUPPORTED', message);
}

function badSignature(message: string, cause?: unknown): CmsError {
  return new CmsError('SMGW_CMS_BAD_SIGNATURE', message, cause === undefined ? {} : { cause });
}

/**
 * Parses a container that must be DER: a strict TLV walk first (definite minimal lengths, nothing
 * after the object, primitive strings, DER BOOLEAN and INTEGER; pki/der-structure.ts), because
 * the schema parser reads BER and would let bytes change without changing what we read.
 */
function strictDer(bytes: Uint8Array, what: string): Tlv {
  try {
    return checkDer(bytes);
  } catch (e) {
    throw malformed(`${what} is not DER`, e);
  }
}

/** Raw encodings the signature and the trust decision must see exactly as received. */
interface RawParts {
  /** The SignedData fields other than `certificates`, in order. */
  readonly fieldsButCertificates: Tlv[];
  readonly certificates: Uint8Array[];
  /** The [0] IMPLICIT signedAttrs of the (single) SignerInfo, header included. */
  readonly signedAttrs: Uint8Array | undefined;
}

/**
 * ContentInfo ::= SEQUENCE { contentType OID (id-signedData), content [0] EXPLICIT SignedData }:
 * checks the outer shape and locates the raw parts (signed-data-view.ts then reads the SignedData).
 */
function rawParts(bytes: Uint8Array, outer: Tlv): RawParts {
  const shape = (ok: boolean) => {
    if (!ok) throw malformed('not a ContentInfo(SignedData) of the expected shape');
  };
  shape(outer.tag === 0x30);
  const ci = childrenOf(bytes, outer);
  shape(ci.length === 2 && ci[0]?.tag === 0x06 && ci[1]?.tag === 0xa0);
  if (!bytesEqual(encodingOf(bytes, ci[0] as Tlv), SIGNED_DATA_OID_DER)) {
    throw malformed('ContentInfo type is not id-signedData');
  }
  const inner = childrenOf(bytes, ci[1] as Tlv);
  shape(inner.length === 1 && inner[0]?.tag === 0x30);
  const sdTlv = inner[0] as Tlv;
  const sd = childrenOf(bytes, sdTlv as Tlv);
  const certs = sd.find((t) => t.tag === 0xa0);
  const signerInfos = sd[sd.length - 1];
  shape(signerInfos?.tag === 0x31);
  const si = childrenOf(bytes, signerInfos as Tlv)[0];
  shape(si?.tag === 0x30);
  const attrs = childrenOf(bytes, si as Tlv).find((t) => t.tag === 0xa0);
  return {
    fieldsButCertificates: sd.filter((t) => t !== certs),
    certificates: certs ? childrenOf(bytes, certs).map((t) => encodingOf(bytes, t)) : [],
    signedAttrs: attrs ? encodingOf(bytes, attrs) : undefined,
  };
}

/**
 * The SignedData without its certificates (the certificates are not read by the schema parser:
 * their raw bytes are compared with the trusted senders or handed to `validateSender`). Read
 * directly when it has our containers' shape, else by the schema parser; both check that what
 * was read re-encodes to exactly the bytes received (signed-data-view.ts).
 */
function readSignedData(bytes: Uint8Array, fields: Tlv[]): SignedDataView {
  return (
    readSignedDataDirectly(bytes, fields) ??
    readSignedDataBySchema(derTlv(0x30, concatBytes(...fields.map((t) => encodingOf(bytes, t)))))
  );
}

function isAbsentOrNull(parameters: ArrayBuffer | null | undefined): boolean {
  if (parameters === undefined || parameters === null) return true;
  const p = new Uint8Array(parameters);
  return p.length === 2 && p[0] === 0x05 && p[1] === 0x00;
}

/** The single value of the one attribute of `type`; MALFORMED if missing, repeated or multi-valued. */
function singleValue(attrs: readonly AttributeView[], type: string, name: string): Uint8Array {
  const found = attrs.filter((a) => a.attrType === type);
  if (found.length !== 1) throw malformed(`signed attribute ${name} appears ${found.length} times (RFC 5652: once)`);
  const values = (found[0] as AttributeView).attrValues;
  if (values.length !== 1) throw malformed(`signed attribute ${name} has ${values.length} values (RFC 5652: one)`);
  return values[0] as Uint8Array;
}

/**
 * The message-digest value, an OCTET STRING: a primitive one (the container passed the DER walk)
 * is its content octets, what the schema parser reads; anything else goes to the parser.
 */
function messageDigestOf(value: Uint8Array): Uint8Array {
  if (value[0] === 0x04) {
    const t = readTlvOrUndefined(value);
    if (t !== undefined && t.end === value.length) return contentOf(value, t);
  }
  return new Uint8Array(AsnConvert.parse(value, OctetString).buffer);
}

function readTlvOrUndefined(bytes: Uint8Array): Tlv | undefined {
  try {
    return readTlv(bytes, 0);
  } catch {
    return undefined;
  }
}

/** The content-type attribute's OID (the same value each time: cached, schema-values.ts). */
function contentTypeOf(value: Uint8Array): string {
  const oid = oidOf(value);
  return oid === null ? AsnConvert.parse(value, ObjectIdentifierValue).value : oid.value;
}

/**
 * Verifies a DER ContentInfo(id-signedData) and returns the encapsulated content and its signer.
 * Every problem with `bytes` is a CmsError; a sender the trust options reject is
 * SMGW_CMS_BAD_SIGNATURE.
 */
export async function verifySignedData(bytes: Uint8Array, trust: SenderTrust): Promise<VerifiedSignedData> {
  return readingHostileInput(() => verifyChecked(requireBytes(bytes, 'SignedData'), trust));
}

async function verifyChecked(bytes: Uint8Array, trust: SenderTrust): Promise<VerifiedSignedData> {
  if (trust.trustedSenders === undefined && trust.validateSender === undefined) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', 'give trustedSenders and/or validateSender');
  }
  const raw = rawParts(bytes, strictDer(bytes, 'the container'));
  const sd = readSignedData(bytes, raw.fieldsButCertificates);

  const eContentBytes = sd.eContent;
  if (eContentBytes === undefined) throw unsupported('SignedData without an encapsulated OCTET STRING (detached?)');
  if (sd.version !== (sd.eContentType === ID_DATA ? 1 : 3)) throw malformed(`SignedData version ${sd.version}`);
  if (sd.digestAlgorithms.length !== 1 || sd.digestAlgorithms[0]?.algorithm !== ID_SHA256) {
    throw unsupported('digestAlgorithms other than exactly id-sha256');
  }
  if (!isAbsentOrNull(sd.digestAlgorithms[0].parameters)) throw malformed('id-sha256 with parameters');
  if (sd.hasCrls) throw unsupported('SignedData with revocation information');
  if (sd.signerInfos.length !== 1) throw unsupported(`${sd.signerInfos.length} SignerInfos (profile: one)`);
  const si = sd.signerInfos[0] as SignerInfoView;
  if (si.version !== 1 || si.issuerAndSerialNumber === undefined) {
    throw unsupported('SignerInfo is not version 1 with issuerAndSerialNumber');
  }
  if (si.digestAlgorithm.algorithm !== ID_SHA256 || !isAbsentOrNull(si.digestAlgorithm.parameters)) {
    throw unsupported(`SignerInfo digest ${si.digestAlgorithm.algorithm} (profile: id-sha256)`);
  }
  if (si.signatureAlgorithm.algorithm !== ID_ECDSA_WITH_SHA256 || si.signatureAlgorithm.parameters !== undefined) {
    throw unsupported(`signature algorithm ${si.signatureAlgorithm.algorithm} (profile: ecdsa-with-SHA256)`);
  }
  if (si.hasUnsignedAttrs) throw unsupported('SignerInfo with unsigned attributes');
  const attrs = si.signedAttrs;
  if (attrs === undefined || attrs.length === 0 || raw.signedAttrs === undefined) {
    throw unsupported('SignerInfo without signed attributes');
  }

  // The certificates: all X.509, the signer's among them.
  const embedded = raw.certificates.map((c) => {
    if (c[0] !== 0x30) throw unsupported('a certificate choice other than X.509');
    return readCmsCertificate(c, 'SMGW_CMS_MALFORMED', 'embedded certificate');
  });
  const ias = si.issuerAndSerialNumber;
  const signers = embedded.filter((c) => namesCertificate(ias, c));
  if (signers.length !== 1) {
    throw malformed(`the signer certificate is embedded ${signers.length} times (profile: once)`);
  }
  const signer = signers[0] as CmsCertificate;

  // Signed attributes (RFC 5652 §11): content type and digest bind the eContent.
  let contentType: string;
  let digest: Uint8Array;
  let signingTime: Date;
  try {
    contentType = contentTypeOf(singleValue(attrs, ID_CONTENT_TYPE, 'content-type'));
    digest = messageDigestOf(singleValue(attrs, ID_MESSAGE_DIGEST, 'message-digest'));
    signingTime = AsnConvert.parse(singleValue(attrs, ID_SIGNING_TIME, 'signing-time'), Time).getTime();
  } catch (e) {
    if (isSmgwError(e)) throw e;
    throw malformed('a signed attribute does not parse', e);
  }
  if (contentType !== sd.eContentType) throw badSignature('content-type attribute differs from eContentType');
  if (!bytesEqual(digest, sha256(eContentBytes))) throw badSignature('message digest does not match the content');

  // A pinned sender is compared first: cheap, and a foreign or altered certificate stops here.
  if (trust.trustedSenders !== undefined && !trust.trustedSenders.some((t) => bytesEqual(t, signer.der))) {
    throw badSignature('the signer is not a trusted sender');
  }
  const key = verificationKeyOf(signer, 'SMGW_CMS_BAD_SIGNATURE', 'signer certificate');
  const signature = si.signature;
  // RFC 5652 §5.4: the signature covers the DER SET OF signed attributes: the bytes received
  // with the [0] IMPLICIT tag replaced by the SET tag.
  const signedInput = Uint8Array.from(raw.signedAttrs);
  signedInput[0] = 0x31;
  if (!verifySignature(key, signedInput, signature, SIGNING_HASH)) {
    throw badSignature('the signature does not verify with the signer certificate');
  }
  if (trust.validateSender !== undefined) {
    const others = embedded.filter((c) => c !== signer).map((c) => c.der);
    try {
      await trust.validateSender(signer.der, others, signingTime);
    } catch (e) {
      throw badSignature('the sender certificate failed validation', e);
    }
  }
  return { eContentType: sd.eContentType, eContent: eContentBytes, sender: signer.der, signingTime };
}
