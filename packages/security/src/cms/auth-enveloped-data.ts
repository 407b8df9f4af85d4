/**
 * The inner layer of the WAN containers (spec notes §3.7): RFC 5083 AuthEnvelopedData with one
 * KeyAgreeRecipientInfo per recipient (ECKA-EG with the X9.63 KDF, id-aes128-wrap) and one of
 * the two content encryptions TR-03116-3 requires:
 *
 * - 'aes-128-gcm' (default; RFC 5084): id-aes128-GCM, GCMParameters { 12-byte nonce, ICV 16 },
 *   mac = the 16-byte GCM tag, no authAttrs (so no AAD).
 * - 'aes-128-cbc-cmac': AES-128-CBC with IV = 0 and RFC 5652 §6.3 padding, then AES-CMAC-128.
 *   [M] The spec names the primitives but not how they sit in AuthEnvelopedData. Our choice, the
 *   simplest sound one (encrypt-then-MAC with independent keys): the content key is 32 random
 *   bytes K_enc || K_mac, wrapped as one 32-byte key; authEncryptedContentInfo names
 *   id-aes128-CBC with a 16-byte zero IV (IV = 0 is safe because K_enc is fresh per message,
 *   spec notes §3.6/§3.7); mac = AES-CMAC(K_mac, encryptedContent), the ciphertext octets only.
 *   The receiver checks the MAC (constant time) before it decrypts or looks at the padding. The
 *   IV must be zero (it is not under the MAC). RFC 6476 (authEnc with PRF-derived keys) is the
 *   standard alternative should Anlage I turn out to use it.
 *
 * Each recipient gets its own KeyAgreeRecipientInfo and its own ephemeral key: a kari carries one
 * originator key, and an ephemeral key must serve one key agreement only (spec notes §3.1).
 * Recipients are named by issuerAndSerialNumber of their ENC certificate ([M], Anlage I may
 * choose the subject key identifier). The content key comes from the sender's security module
 * (`random`), is used for this one message and is zeroised afterwards, as are the KEKs.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { bytesEqual, CmacKey, concatBytes, timingSafeEqualBytes, zeroize } from '@opensmgw/core';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CURVES, type CurveName } from '../curves.js';
import { type DerPart, encodeDer, setOf, tlv } from '../der-writer.js';
import { CmsError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { aesKeyUnwrap, aesKeyWrap } from './aes-key-wrap.js';
import {
  type AuthEnvelopedDataView,
  type KeyAgreeRecipientInfoView,
  readAuthEnvelopedDataBySchema,
  readAuthEnvelopedDataDirectly,
} from './auth-enveloped-data-view.js';
import { GcmParameters } from './cms-asn1.js';
import {
  agreementKeyOf,
  type CmsCertificate,
  issuerAndSerialNumberOf,
  namesCertificate,
  publicKeyOf,
  readCmsCertificate,
} from './cms-certificate.js';
import type { AlgorithmView } from './direct-reading.js';
import { eckaEgReceive, eckaEgSendTo } from './ecka-eg.js';
import { readingHostileInput, requireBytes } from './hostile-input.js';
import {
  ID_AES128_CBC,
  ID_AES128_GCM,
  ID_AES128_WRAP,
  ID_DATA,
  ID_DH_SINGLE_PASS_STD_DH_SHA256KDF,
  ID_EC_PUBLIC_KEY,
  ID_ECKA_EG_X963KDF_SHA256,
} from './oids.js';
import { oidDer } from './schema-values.js';
import { eccCmsSharedInfo } from './x963-kdf.js';

export type ContentEncryption = 'aes-128-gcm' | 'aes-128-cbc-cmac';
export const CONTENT_ENCRYPTIONS: readonly ContentEncryption[] = ['aes-128-gcm', 'aes-128-cbc-cmac'];

/** Randomness source: the sender's security module (DESIGN.md: randomness through the module). */
export type RandomSource = (length: number) => Promise<Uint8Array>;

/** Key-agreement OIDs we accept when opening: both name ECKA-EG/stdDH with the X9.63 KDF, SHA-256. */
export const KEY_AGREEMENT_OIDS: readonly string[] = [ID_ECKA_EG_X963KDF_SHA256, ID_DH_SINGLE_PASS_STD_DH_SHA256KDF];

const KEK_LENGTH = 16; // id-aes128-wrap
const GCM_NONCE_LENGTH = 12; // spec notes §3.7: 96-bit IV
const TAG_LENGTH = 16; // spec notes §3.7: 128-bit tag; AES-CMAC-128 untruncated
const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);

/** AlgorithmIdentifier { id-aes128-wrap } (RFC 3565 §2.3.2: parameters absent), DER. */
const AES128_WRAP_ALGORITHM = encodeDer(tlv(0x30, oidDer(ID_AES128_WRAP)));
/** ECC-CMS-SharedInfo for id-aes128-wrap and a 128-bit KEK without ukm: the same in every container. */
let sharedInfoWithoutUkm: Uint8Array | undefined;

function sharedInfoFor(ukm: Uint8Array | undefined): Uint8Array {
  if (ukm !== undefined) return eccCmsSharedInfo(ID_AES128_WRAP, KEK_LENGTH * 8, ukm);
  sharedInfoWithoutUkm ??= eccCmsSharedInfo(ID_AES128_WRAP, KEK_LENGTH * 8);
  return sharedInfoWithoutUkm;
}

export interface AuthEnvelopOptions {
  readonly payload: Uint8Array;
  /** Content type of the payload inside authEncryptedContentInfo; default id-data. */
  readonly contentType?: string;
  /** DER ENC certificates of the recipients (at least one). */
  readonly recipients: readonly Uint8Array[];
  readonly random: RandomSource;
  /** Default 'aes-128-gcm'. */
  readonly encryption?: ContentEncryption;
  /**
   * keyEncryptionAlgorithm OID; default ecka-eg-X963KDF-SHA256 (spec notes §3.7). The SEC 1 OID
   * dhSinglePass-stdDH-sha256kdf-scheme names the same computation and lets OpenSSL decrypt
   * (interop tests).
   */
  readonly keyAgreementOid?: string;
}

/**
 * Builds the DER AuthEnvelopedData (not wrapped in a ContentInfo). Written from its parts
 * (der.ts), the same bytes the asn1-schema objects serialise to, without their cost.
 */
export async function createAuthEnvelopedData(options: AuthEnvelopOptions): Promise<Uint8Array> {
  const encryption = options.encryption ?? 'aes-128-gcm';
  if (!CONTENT_ENCRYPTIONS.includes(encryption)) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `unknown content encryption ${JSON.stringify(encryption)}`);
  }
  const keyAgreementOid = options.keyAgreementOid ?? ID_ECKA_EG_X963KDF_SHA256;
  if (!KEY_AGREEMENT_OIDS.includes(keyAgreementOid)) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `unknown key agreement ${keyAgreementOid}`);
  }
  if (options.recipients.length === 0) throw new CmsError('SMGW_CMS_BAD_ARGUMENT', 'no recipient');
  const recipients = options.recipients.map((c, i) => {
    const cert = readCmsCertificate(c, 'SMGW_CMS_BAD_ARGUMENT', `recipient certificate ${i}`);
    return { cert, key: agreementKeyOf(cert, 'SMGW_CMS_BAD_ARGUMENT', `recipient certificate ${i}`) };
  });
  const payload = requireBytes(options.payload, 'the payload');
  const contentKey = await randomBytes(options.random, encryption === 'aes-128-gcm' ? 16 : 32);
  try {
    const sealed =
      encryption === 'aes-128-gcm'
        ? encryptGcm(contentKey, await randomBytes(options.random, GCM_NONCE_LENGTH), payload)
        : encryptCbcCmac(contentKey, payload);
    const infos = recipients.map((r) =>
      keyAgreeRecipientInfo(r.cert, r.key.curve, r.key.keyObject, contentKey, keyAgreementOid),
    );
    return encodeDer(
      tlv(
        0x30,
        Uint8Array.of(0x02, 0x01, 0x00), // version 0
        setOf(infos), // recipientInfos, a DER SET OF
        tlv(
          0x30, // authEncryptedContentInfo
          oidDer(options.contentType ?? ID_DATA),
          sealed.algorithm,
          tlv(0x80, sealed.ciphertext), // encryptedContent [0] IMPLICIT OCTET STRING
        ),
        tlv(0x04, sealed.mac),
      ),
    );
  } finally {
    zeroize(contentKey);
  }
}

async function randomBytes(random: RandomSource, length: number): Promise<Uint8Array> {
  const bytes = await random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `the random source did not return ${length} bytes`);
  }
  return bytes;
}

interface Sealed {
  /** The contentEncryptionAlgorithm, DER. */
  readonly algorithm: DerPart;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

function encryptGcm(key: Uint8Array, nonce: Uint8Array, payload: Uint8Array): Sealed {
  const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  const ciphertext = new Uint8Array(Buffer.concat([c.update(payload), c.final()]));
  // GCMParameters { aes-nonce OCTET STRING, aes-ICVlen 16 } (16 differs from the DEFAULT 12: written)
  const params = tlv(0x30, tlv(0x04, nonce), Uint8Array.of(0x02, 0x01, TAG_LENGTH));
  return {
    algorithm: tlv(0x30, oidDer(ID_AES128_GCM), params),
    ciphertext,
    mac: new Uint8Array(c.getAuthTag()),
  };
}

function encryptCbcCmac(contentKey: Uint8Array, payload: Uint8Array): Sealed {
  const kEnc = contentKey.subarray(0, 16);
  const kMac = contentKey.subarray(16, 32);
  // RFC 5652 §6.3: always 1..16 bytes of padding, each holding the padding length.
  const pad = BLOCK - (payload.length % BLOCK);
  const padded = concatBytes(payload, new Uint8Array(pad).fill(pad));
  const c = createCipheriv('aes-128-cbc', kEnc, ZERO_IV);
  c.setAutoPadding(false);
  const ciphertext = new Uint8Array(Buffer.concat([c.update(padded), c.final()]));
  zeroize(padded);
  return {
    algorithm: tlv(0x30, oidDer(ID_AES128_CBC), tlv(0x04, ZERO_IV)),
    ciphertext,
    mac: new CmacKey(kMac).mac(ciphertext),
  };
}

function keyAgreeRecipientInfo(
  recipient: CmsCertificate,
  curve: CurveName,
  recipientKey: KeyObject,
  contentKey: Uint8Array,
  oid: string,
): DerPart {
  const { ephemeralPoint, kek } = eckaEgSendTo(curve, recipientKey, sharedInfoFor(undefined), KEK_LENGTH);
  let wrapped: Uint8Array;
  try {
    wrapped = aesKeyWrap(kek, contentKey);
  } finally {
    zeroize(kek);
  }
  // RecipientInfo kari [1] IMPLICIT KeyAgreeRecipientInfo (RFC 5652 §6.2.2)
  return tlv(
    0xa1,
    Uint8Array.of(0x02, 0x01, 0x03), // version 3
    tlv(
      0xa0, // originator [0] EXPLICIT: originatorKey [1] IMPLICIT OriginatorPublicKey
      tlv(
        0xa1,
        // RFC 5753 §7.1.2: id-ecPublicKey, parameters SHOULD be absent (the curve is the recipient's).
        tlv(0x30, oidDer(ID_EC_PUBLIC_KEY)),
        tlv(0x03, Uint8Array.of(0x00), ephemeralPoint), // BIT STRING, no unused bits
      ),
    ),
    tlv(0x30, oidDer(oid), AES128_WRAP_ALGORITHM), // keyEncryptionAlgorithm
    tlv(
      0x30, // recipientEncryptedKeys: one RecipientEncryptedKey
      tlv(0x30, issuerAndSerialNumberOf(recipient), tlv(0x04, wrapped)),
    ),
  );
}

export interface CmsRecipient {
  readonly module: SecurityModule;
  /** The slot holding the recipient's ENC private key. */
  readonly slot: string;
  /** The recipient's DER ENC certificate (names the RecipientInfo meant for us). */
  readonly certificate: Uint8Array;
}

export interface OpenedAuthEnvelopedData {
  readonly payload: Uint8Array;
  readonly contentType: string;
  readonly encryption: ContentEncryption;
}

function malformed(message: string, cause?: unknown): CmsError {
  return new CmsError('SMGW_CMS_MALFORMED', message, cause === undefined ? {} : { cause });
}

function unsupported(message: string): CmsError {
  return new CmsError('SMGW_CMS_UNSUPPORTED', message);
}

/** Decrypts a DER AuthEnvelopedData for `recipient`. Only CmsErrors for anything in `bytes`. */
export async function openAuthEnvelopedData(
  bytes: Uint8Array,
  recipient: CmsRecipient,
): Promise<OpenedAuthEnvelopedData> {
  // A copy: what is read must not change under us while the module computes the ECDH.
  return readingHostileInput(() => openChecked(requireBytes(bytes, 'AuthEnvelopedData').slice(), recipient));
}

/** `openAuthEnvelopedData` for bytes nobody else holds (openContainer's eContent): no copy. */
export async function openOwnAuthEnvelopedData(
  bytes: Uint8Array,
  recipient: CmsRecipient,
): Promise<OpenedAuthEnvelopedData> {
  return readingHostileInput(() => openChecked(bytes, recipient));
}

async function openChecked(bytes: Uint8Array, recipient: CmsRecipient): Promise<OpenedAuthEnvelopedData> {
  const me = readCmsCertificate(recipient.certificate, 'SMGW_CMS_BAD_ARGUMENT', 'recipient certificate');
  const myCurve = publicKeyOf(me, 'SMGW_CMS_BAD_ARGUMENT', 'recipient certificate').curve;
  // Our containers' shape is read directly from the DER; anything else by the schema parser,
  // with the same result (auth-enveloped-data-view.ts).
  const aed = readAuthEnvelopedDataDirectly(bytes) ?? readAuthEnvelopedDataBySchema(bytes);
  if (aed.version !== 0) throw malformed(`AuthEnvelopedData version ${aed.version} (RFC 5083: 0)`);
  if (aed.hasAuthAttrs) throw unsupported('authAttrs (GCM AAD) are not used by this profile');

  const encryption = contentEncryptionOf(aed.contentEncryptionAlgorithm);
  const ciphertext = aed.encryptedContent;
  if (ciphertext === undefined) throw malformed('authEncryptedContentInfo without encryptedContent');
  const mac = aed.mac;

  const found = findOurKey(aed, me);
  const contentKey = await unwrapContentKey(found.kari, found.encryptedKey, myCurve, recipient);
  try {
    const payload =
      encryption.kind === 'aes-128-gcm'
        ? decryptGcm(contentKey, encryption.nonce, ciphertext, mac)
        : decryptCbcCmac(contentKey, ciphertext, mac);
    return { payload, contentType: aed.contentType, encryption: encryption.kind };
  } finally {
    zeroize(contentKey);
  }
}

type ParsedEncryption = { kind: 'aes-128-gcm'; nonce: Uint8Array } | { kind: 'aes-128-cbc-cmac' };

/** GCMParameters as we write them, 30 11 04 0C <nonce> 02 01 10, read without the parser. */
function ourGcmNonce(p: Uint8Array): Uint8Array | undefined {
  const head = [0x30, 0x11, 0x04, GCM_NONCE_LENGTH];
  const tail = [0x02, 0x01, TAG_LENGTH];
  if (p.length !== 19 || head.some((b, i) => p[i] !== b) || tail.some((b, i) => p[16 + i] !== b)) return undefined;
  return p.slice(4, 16);
}

function contentEncryptionOf(alg: AlgorithmView): ParsedEncryption {
  if (alg.algorithm === ID_AES128_GCM) {
    if (!alg.parameters) throw malformed('id-aes128-GCM without GCMParameters');
    const ours = ourGcmNonce(new Uint8Array(alg.parameters));
    if (ours !== undefined) return { kind: 'aes-128-gcm', nonce: ours };
    let params: GcmParameters;
    try {
      params = AsnConvert.parse(alg.parameters, GcmParameters);
    } catch (e) {
      throw malformed('GCMParameters do not parse', e);
    }
    const nonce = new Uint8Array(params.nonce.buffer);
    if (nonce.length !== GCM_NONCE_LENGTH) throw unsupported(`GCM nonce of ${nonce.length} bytes (profile: 12)`);
    if (params.icvLen !== TAG_LENGTH) throw unsupported(`GCM ICV length ${params.icvLen} (profile: 16)`);
    return { kind: 'aes-128-gcm', nonce };
  }
  if (alg.algorithm === ID_AES128_CBC) {
    if (!alg.parameters) throw malformed('id-aes128-CBC without IV');
    let iv: OctetString;
    try {
      iv = AsnConvert.parse(alg.parameters, OctetString);
    } catch (e) {
      throw malformed('id-aes128-CBC IV is not an OCTET STRING', e);
    }
    const ivBytes = new Uint8Array(iv.buffer);
    if (ivBytes.length !== BLOCK || ivBytes.some((b) => b !== 0)) {
      throw unsupported('AES-128-CBC + CMAC: the IV must be 16 zero bytes (spec notes §3.7)');
    }
    return { kind: 'aes-128-cbc-cmac' };
  }
  throw unsupported(`content encryption ${alg.algorithm} (profile: AES-128-GCM or AES-128-CBC + CMAC)`);
}

function findOurKey(
  aed: AuthEnvelopedDataView,
  me: CmsCertificate,
): { kari: KeyAgreeRecipientInfoView; encryptedKey: Uint8Array } {
  for (const kari of aed.recipientInfos) {
    if (!kari) continue;
    for (const rek of kari.recipientEncryptedKeys) {
      const ias = rek.rid;
      if (ias && namesCertificate(ias, me)) return { kari, encryptedKey: rek.encryptedKey };
    }
  }
  throw new CmsError('SMGW_CMS_NOT_RECIPIENT', 'no KeyAgreeRecipientInfo for our ENC certificate');
}

async function unwrapContentKey(
  kari: KeyAgreeRecipientInfoView,
  encryptedKey: Uint8Array,
  curve: CurveName,
  recipient: CmsRecipient,
): Promise<Uint8Array> {
  if (kari.version !== 3) throw malformed(`KeyAgreeRecipientInfo version ${kari.version} (RFC 5652: 3)`);
  const kea = kari.keyEncryptionAlgorithm;
  if (!KEY_AGREEMENT_OIDS.includes(kea.algorithm)) {
    throw unsupported(`key agreement ${kea.algorithm} (profile: ecka-eg-X963KDF-SHA256)`);
  }
  if (!kea.parameters) throw malformed('key agreement without key-wrap parameters');
  // The parameters we write are read by comparison; anything else by the schema parser.
  if (!bytesEqual(new Uint8Array(kea.parameters), AES128_WRAP_ALGORITHM)) {
    let wrap: AlgorithmIdentifier;
    try {
      wrap = AsnConvert.parse(kea.parameters, AlgorithmIdentifier);
    } catch (e) {
      throw malformed('key-wrap AlgorithmIdentifier does not parse', e);
    }
    if (wrap.algorithm !== ID_AES128_WRAP || wrap.parameters !== undefined) {
      throw unsupported(`key wrap ${wrap.algorithm} (profile: id-aes128-wrap, parameters absent)`);
    }
  }
  const originatorKey = kari.originatorKey;
  if (!originatorKey) throw unsupported('originator is not an ephemeral OriginatorPublicKey');
  checkOriginatorAlgorithm(originatorKey.algorithm, curve);
  const point = originatorKey.publicKey;
  if (point.length !== 1 + 2 * CURVES[curve].size || point[0] !== 0x04) {
    throw malformed('originator key is not an uncompressed point on the recipient curve');
  }
  const sharedInfo = sharedInfoFor(kari.ukm);
  const kek = await eckaEgReceive(recipient.module, recipient.slot, point, sharedInfo, KEK_LENGTH);
  try {
    return aesKeyUnwrap(kek, encryptedKey);
  } finally {
    zeroize(kek);
  }
}

/** RFC 5753 §7.1.2: id-ecPublicKey with parameters absent, NULL, or the recipient's named curve. */
function checkOriginatorAlgorithm(alg: AlgorithmView, curve: CurveName): void {
  if (alg.algorithm !== ID_EC_PUBLIC_KEY) throw unsupported(`originator key algorithm ${alg.algorithm}`);
  if (alg.parameters === undefined || alg.parameters === null) return;
  const p = new Uint8Array(alg.parameters);
  if (p.length === 2 && p[0] === 0x05 && p[1] === 0x00) return;
  let curveOid: string | undefined;
  try {
    curveOid = AsnConvert.parse(p, ECParameters).namedCurve;
  } catch (e) {
    throw malformed('originator key parameters do not parse', e);
  }
  if (curveOid !== CURVES[curve].oid) throw malformed('originator key is on another curve');
}

function decryptGcm(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array {
  if (key.length !== 16) throw new CmsError('SMGW_CMS_DECRYPT', 'content key has the wrong length for AES-128-GCM');
  if (tag.length !== TAG_LENGTH) throw malformed(`GCM tag of ${tag.length} bytes (profile: 16)`);
  const d = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  d.setAuthTag(tag);
  const plain = d.update(ciphertext);
  try {
    d.final();
  } catch (e) {
    plain.fill(0); // never hand out (or keep) unauthenticated plaintext
    throw new CmsError('SMGW_CMS_DECRYPT', 'GCM tag does not verify: the content was altered', { cause: e });
  }
  return new Uint8Array(plain);
}

function decryptCbcCmac(contentKey: Uint8Array, ciphertext: Uint8Array, mac: Uint8Array): Uint8Array {
  if (contentKey.length !== 32) {
    throw new CmsError('SMGW_CMS_DECRYPT', 'content key has the wrong length for AES-128-CBC + CMAC');
  }
  if (mac.length !== TAG_LENGTH) throw malformed(`CMAC of ${mac.length} bytes (profile: 16)`);
  // Encrypt-then-MAC: the MAC is checked before any decryption or padding check (spec notes §3.6).
  if (!timingSafeEqualBytes(new CmacKey(contentKey.subarray(16, 32)).mac(ciphertext), mac)) {
    throw new CmsError('SMGW_CMS_DECRYPT', 'CMAC does not verify: the content was altered');
  }
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) {
    throw new CmsError('SMGW_CMS_DECRYPT', 'CBC ciphertext is not a positive multiple of 16 bytes');
  }
  const d = createDecipheriv('aes-128-cbc', contentKey.subarray(0, 16), ZERO_IV);
  d.setAutoPadding(false);
  const padded = Buffer.concat([d.update(ciphertext), d.final()]);
  const pad = padded[padded.length - 1] as number;
  let ok = pad >= 1 && pad <= BLOCK;
  for (let i = 1; ok && i <= pad; i++) ok = padded[padded.length - i] === pad;
  if (!ok) {
    padded.fill(0);
    throw new CmsError('SMGW_CMS_DECRYPT', 'CBC padding is not RFC 5652 §6.3 padding');
  }
  const payload = new Uint8Array(padded.subarray(0, padded.length - pad));
  padded.fill(0);
  return payload;
}
