/**
 * The fields of an AuthEnvelopedData (RFC 5083) that `openAuthEnvelopedData` checks.
 *
 * Two readers give the same view:
 * - `readAuthEnvelopedDataBySchema`: the schema parser (asn1-schema), which also reads BER (the
 *   AuthEnvelopedData is authenticated by the outer signature, or by the GCM tag / CMAC, not by
 *   its encoding). Any input; a parse failure is SMGW_CMS_MALFORMED.
 * - `readAuthEnvelopedDataDirectly`: a walk of strict DER for the shape our containers have
 *   (KeyAgreeRecipientInfos with an ephemeral OriginatorPublicKey and issuerAndSerialNumber
 *   rids, encryptedContent present and primitive, no originatorInfo or attributes), several
 *   times cheaper. It returns undefined for anything else, and the caller then uses the schema
 *   reader, so the outcome never differs: for what it accepts, the schema parser reads the same
 *   values (OIDs, Names and ANY parameters go through the schema code itself, cached by their
 *   bytes, schema-values.ts and direct-reading.ts; inputs that could reach the parser's size
 *   limits are left to it, schema-parser-limits.ts).
 */
import { concatBytes } from '@opensmgw/core';
import type { EncryptedContentInfo, KeyAgreeRecipientInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { der } from '../der-writer.js';
import { CmsError } from '../errors.js';
import { checkDer, childrenOf, contentOf, encodingOf, type Tlv } from '../pki/der-structure.js';
import { AuthEnvelopedData } from './cms-asn1.js';
import type { IssuerAndSerial } from './cms-certificate.js';
import {
  type AlgorithmView,
  algorithmAt,
  algorithmViewOf,
  need,
  nonEmpty,
  oidAt,
  readDirectly,
  smallIntegerAt,
} from './direct-reading.js';
import { octetStringWithinSchemaParserLimits, withinSchemaParserLimits } from './schema-parser-limits.js';
import { reencodedNameOrUndefined } from './schema-values.js';

export interface RecipientEncryptedKeyView {
  /** undefined when the rid is an rKeyId. */
  readonly rid: IssuerAndSerial | undefined;
  readonly encryptedKey: Uint8Array;
}

export interface KeyAgreeRecipientInfoView {
  /** A number, or a string for a long INTEGER (as asn1-schema reads CMSVersion). */
  readonly version: number | string;
  /** undefined when the originator is not an OriginatorPublicKey. */
  readonly originatorKey: { readonly algorithm: AlgorithmView; readonly publicKey: Uint8Array } | undefined;
  readonly ukm: Uint8Array | undefined;
  readonly keyEncryptionAlgorithm: AlgorithmView;
  readonly recipientEncryptedKeys: readonly RecipientEncryptedKeyView[];
}

export interface AuthEnvelopedDataView {
  readonly version: number | string;
  readonly hasAuthAttrs: boolean;
  /** authEncryptedContentInfo.contentType */
  readonly contentType: string;
  readonly contentEncryptionAlgorithm: AlgorithmView;
  /** The ciphertext; undefined when encryptedContent is absent. */
  readonly encryptedContent: Uint8Array | undefined;
  readonly mac: Uint8Array;
  /** One entry per RecipientInfo: its KeyAgreeRecipientInfo, undefined for another kind. */
  readonly recipientInfos: readonly (KeyAgreeRecipientInfoView | undefined)[];
}

// ---- the schema reader ----------------------------------------------------------------------

export function readAuthEnvelopedDataBySchema(bytes: Uint8Array): AuthEnvelopedDataView {
  let aed: AuthEnvelopedData;
  try {
    aed = AsnConvert.parse(bytes, AuthEnvelopedData);
  } catch (e) {
    throw new CmsError('SMGW_CMS_MALFORMED', 'not a DER AuthEnvelopedData', { cause: e });
  }
  const eci = aed.authEncryptedContentInfo;
  return {
    version: aed.version,
    hasAuthAttrs: aed.authAttrs !== undefined,
    contentType: eci.contentType,
    contentEncryptionAlgorithm: algorithmViewOf(eci.contentEncryptionAlgorithm),
    encryptedContent: encryptedContentOf(eci),
    mac: new Uint8Array(aed.mac.buffer),
    recipientInfos: aed.recipientInfos.map((ri) => (ri.kari ? kariView(ri.kari) : undefined)),
  };
}

function encryptedContentOf(eci: EncryptedContentInfo): Uint8Array | undefined {
  const ec = eci.encryptedContent;
  if (ec?.value) return new Uint8Array(ec.value.buffer);
  if (ec?.constructedValue) return concatBytes(...ec.constructedValue.map((p) => new Uint8Array(p.buffer)));
  return undefined;
}

function kariView(kari: KeyAgreeRecipientInfo): KeyAgreeRecipientInfoView {
  const opk = kari.originator.originatorKey;
  return {
    version: kari.version,
    originatorKey:
      opk === undefined
        ? undefined
        : { algorithm: algorithmViewOf(opk.algorithm), publicKey: new Uint8Array(opk.publicKey) },
    ukm: kari.ukm === undefined ? undefined : new Uint8Array(kari.ukm.buffer),
    keyEncryptionAlgorithm: algorithmViewOf(kari.keyEncryptionAlgorithm),
    recipientEncryptedKeys: kari.recipientEncryptedKeys.map((rek) => {
      const ias = rek.rid.issuerAndSerialNumber;
      return {
        rid:
          ias === undefined
            ? undefined
            : { serialNumber: new Uint8Array(ias.serialNumber), issuer: () => der(ias.issuer) },
        encryptedKey: new Uint8Array(rek.encryptedKey.buffer),
      };
    }),
  };
}

// ---- the direct reader ----------------------------------------------------------------------

/** The view, or undefined for input this reader does not read (then use the schema reader). */
export function readAuthEnvelopedDataDirectly(bytes: Uint8Array): AuthEnvelopedDataView | undefined {
  let outer: Tlv;
  try {
    outer = checkDer(bytes);
  } catch {
    return undefined; // BER, or not one object: the schema parser decides
  }
  return readDirectly(() => {
    need(withinSchemaParserLimits(bytes, outer));
    need(outer.tag === 0x30);
    const f = childrenOf(bytes, outer);
    need(f.length === 4 && f[1]?.tag === 0x31 && f[2]?.tag === 0x30 && f[3]?.tag === 0x04);
    const version = smallIntegerAt(bytes, f[0]);
    const recipientInfos = nonEmpty(childrenOf(bytes, f[1] as Tlv)).map((ri) => kariAt(bytes, ri));
    const eci = childrenOf(bytes, f[2] as Tlv);
    need(eci.length === 3);
    const contentType = oidAt(bytes, eci[0]);
    const contentEncryptionAlgorithm = algorithmAt(bytes, eci[1]);
    const content = eci[2] as Tlv;
    need(content.tag === 0x80); // [0] IMPLICIT OCTET STRING, primitive
    // asn1-schema reads an [n] IMPLICIT OCTET STRING once more on its own, with its own limits.
    need(octetStringWithinSchemaParserLimits(bytes, content.contentStart, content.end));
    return {
      version,
      hasAuthAttrs: false,
      contentType,
      contentEncryptionAlgorithm,
      encryptedContent: contentOf(bytes, content),
      mac: contentOf(bytes, f[3] as Tlv),
      recipientInfos,
    };
  });
}

/** RecipientInfo [1] IMPLICIT KeyAgreeRecipientInfo (RFC 5652 §6.2.2). */
function kariAt(bytes: Uint8Array, t: Tlv): KeyAgreeRecipientInfoView {
  need(t.tag === 0xa1);
  const k = childrenOf(bytes, t);
  const version = smallIntegerAt(bytes, k[0]);
  // originator [0] EXPLICIT OriginatorIdentifierOrKey: originatorKey [1] IMPLICIT OriginatorPublicKey
  need(k[1]?.tag === 0xa0);
  const originator = childrenOf(bytes, k[1] as Tlv);
  need(originator.length === 1 && originator[0]?.tag === 0xa1);
  const opk = childrenOf(bytes, originator[0] as Tlv);
  need(opk.length === 2 && opk[1]?.tag === 0x03);
  const algorithm = algorithmAt(bytes, opk[0]);
  const publicKey = contentOf(bytes, opk[1] as Tlv).subarray(1); // after the unused-bits octet
  let at = 2;
  let ukm: Uint8Array | undefined;
  if (k[at]?.tag === 0xa1) {
    // ukm [1] EXPLICIT UserKeyingMaterial
    const u = childrenOf(bytes, k[at] as Tlv);
    need(u.length === 1 && u[0]?.tag === 0x04);
    ukm = contentOf(bytes, u[0] as Tlv);
    at++;
  }
  const keyEncryptionAlgorithm = algorithmAt(bytes, k[at]);
  const reks = k[at + 1];
  need(k.length === at + 2 && reks?.tag === 0x30);
  const recipientEncryptedKeys = nonEmpty(childrenOf(bytes, reks)).map((rek) => rekAt(bytes, rek));
  return { version, originatorKey: { algorithm, publicKey }, ukm, keyEncryptionAlgorithm, recipientEncryptedKeys };
}

/** RecipientEncryptedKey ::= SEQUENCE { rid issuerAndSerialNumber, encryptedKey OCTET STRING }. */
function rekAt(bytes: Uint8Array, t: Tlv): RecipientEncryptedKeyView {
  need(t.tag === 0x30);
  const r = childrenOf(bytes, t);
  need(r.length === 2 && r[0]?.tag === 0x30 && r[1]?.tag === 0x04);
  const ias = childrenOf(bytes, r[0] as Tlv);
  need(ias.length === 2 && ias[0]?.tag === 0x30 && ias[1]?.tag === 0x02);
  // The Name as the schema parser reads and writes it back (what it compares).
  const issuer = reencodedNameOrUndefined(encodingOf(bytes, ias[0] as Tlv));
  need(issuer !== undefined);
  return {
    rid: { serialNumber: contentOf(bytes, ias[1] as Tlv), issuer: () => issuer },
    encryptedKey: contentOf(bytes, r[1] as Tlv),
  };
}
