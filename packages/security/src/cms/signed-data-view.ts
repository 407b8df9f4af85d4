/**
 * The fields of a SignedData (RFC 5652 §5) that `verifySignedData` checks, read from the DER the
 * container carries without its certificates (signed-data.ts splits those off first).
 *
 * Two readers give the same view:
 * - `readSignedDataBySchema`: the schema parser (asn1-schema), then the check that the value
 *   read re-encodes to exactly the bytes received (asn1-schema reads BER and, for instance,
 *   accepts a context-class tag where a SEQUENCE belongs: without the check such a byte changed
 *   unnoticed). Any input; errors SMGW_CMS_MALFORMED.
 * - `readSignedDataDirectly`: a walk of the DER for the shape our containers have (one
 *   SignerInfo with issuerAndSerialNumber, signed attributes, no CRLs or unsigned attributes),
 *   several times cheaper. It returns undefined for anything else, and the caller then uses the
 *   schema reader, so the outcome never differs. For what it accepts, the schema reader would
 *   have read the same values and re-encoded them to the same bytes: the OIDs, the issuer Name
 *   and the ANY values (parameters, attribute values) are checked by the schema code itself,
 *   cached (schema-values.ts); the rest is tags, lengths and raw octets; inputs that could reach
 *   the schema parser's size limits are left to it (schema-parser-limits.ts). It then re-encodes
 *   what it read and compares with the input, as the schema reader does.
 */
import { bytesEqual } from '@opensmgw/core';
import { SignedData, type SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { type DerPart, der, encodeDer, tlv } from '../der-writer.js';
import { CmsError } from '../errors.js';
import { childrenOf, contentOf, encodingOf, type Tlv } from '../pki/der-structure.js';
import type { IssuerAndSerial } from './cms-certificate.js';
import {
  type AlgorithmView,
  algorithmAt,
  algorithmViewOf,
  anyReencodes,
  need,
  nonEmpty,
  oidAt,
  readDirectly,
  smallIntegerAt,
} from './direct-reading.js';
import { nodeBound, SCHEMA_PARSER_MAX_CONTENT, SCHEMA_PARSER_MAX_NODES } from './schema-parser-limits.js';
import { oidDer, reencodedNameOrUndefined } from './schema-values.js';

export type { AlgorithmView };

export interface AttributeView {
  readonly attrType: string;
  /** Each value's TLV as received. */
  readonly attrValues: readonly Uint8Array[];
}

export interface SignerInfoView {
  /** A number, or a string for a long INTEGER (as asn1-schema reads CMSVersion). */
  readonly version: number | string;
  /** undefined when the sid is a subjectKeyIdentifier. */
  readonly issuerAndSerialNumber: IssuerAndSerial | undefined;
  readonly digestAlgorithm: AlgorithmView;
  readonly signedAttrs: readonly AttributeView[] | undefined;
  readonly signatureAlgorithm: AlgorithmView;
  readonly signature: Uint8Array;
  readonly hasUnsignedAttrs: boolean;
}

export interface SignedDataView {
  readonly version: number | string;
  readonly digestAlgorithms: readonly AlgorithmView[];
  readonly eContentType: string;
  /** The encapsulated OCTET STRING's content; undefined when absent or not an OCTET STRING. */
  readonly eContent: Uint8Array | undefined;
  readonly hasCrls: boolean;
  readonly signerInfos: readonly SignerInfoView[];
}

function malformed(message: string, cause?: unknown): CmsError {
  return new CmsError('SMGW_CMS_MALFORMED', message, cause === undefined ? {} : { cause });
}

// ---- the schema reader ----------------------------------------------------------------------

/** `bytes` is the DER SignedData without its certificates. */
export function readSignedDataBySchema(bytes: Uint8Array): SignedDataView {
  let sd: SignedData;
  try {
    sd = AsnConvert.parse(bytes, SignedData);
  } catch (e) {
    throw malformed('SignedData does not parse', e);
  }
  let again: Uint8Array;
  try {
    again = der(sd);
  } catch (e) {
    throw malformed('SignedData does not re-encode', e);
  }
  if (!bytesEqual(again, bytes)) throw malformed('SignedData is not DER (it re-encodes differently)');
  const eci = sd.encapContentInfo;
  const single = eci.eContent?.single;
  return {
    version: sd.version,
    digestAlgorithms: sd.digestAlgorithms.map(algorithmViewOf),
    eContentType: eci.eContentType,
    eContent: single === undefined ? undefined : new Uint8Array(single.buffer),
    hasCrls: sd.crls !== undefined,
    signerInfos: sd.signerInfos.map(signerInfoView),
  };
}

function signerInfoView(si: SignerInfo): SignerInfoView {
  const ias = si.sid.issuerAndSerialNumber;
  let issuer: Uint8Array | undefined;
  return {
    version: si.version,
    issuerAndSerialNumber:
      ias === undefined
        ? undefined
        : {
            serialNumber: new Uint8Array(ias.serialNumber),
            issuer: () => {
              issuer ??= der(ias.issuer);
              return issuer;
            },
          },
    digestAlgorithm: algorithmViewOf(si.digestAlgorithm),
    signedAttrs: si.signedAttrs?.map((a) => ({
      attrType: a.attrType,
      attrValues: a.attrValues.map((v) => new Uint8Array(v)),
    })),
    signatureAlgorithm: algorithmViewOf(si.signatureAlgorithm),
    signature: new Uint8Array(si.signature.buffer),
    hasUnsignedAttrs: si.unsignedAttrs !== undefined,
  };
}

// ---- the direct reader ----------------------------------------------------------------------

function attributeAt(bytes: Uint8Array, t: Tlv): AttributeView {
  need(t.tag === 0x30);
  const parts = childrenOf(bytes, t);
  need(parts.length === 2 && parts[1]?.tag === 0x31);
  const attrType = oidAt(bytes, parts[0]);
  const attrValues = nonEmpty(childrenOf(bytes, parts[1] as Tlv)).map((v) => {
    const value = encodingOf(bytes, v);
    need(anyReencodes(value));
    return value;
  });
  return { attrType, attrValues };
}

interface DirectSignerInfo extends SignerInfoView {
  readonly issuer: Uint8Array;
}

function signerInfoAt(bytes: Uint8Array, t: Tlv | undefined): DirectSignerInfo {
  need(t?.tag === 0x30);
  const f = childrenOf(bytes, t);
  need(f.length === 6);
  const version = smallIntegerAt(bytes, f[0]);
  const sid = f[1] as Tlv;
  need(sid.tag === 0x30);
  const ias = childrenOf(bytes, sid);
  need(ias.length === 2 && ias[0]?.tag === 0x30 && ias[1]?.tag === 0x02);
  const issuer = encodingOf(bytes, ias[0] as Tlv);
  const reencoded = reencodedNameOrUndefined(issuer);
  need(reencoded !== undefined && bytesEqual(reencoded, issuer));
  const serialNumber = contentOf(bytes, ias[1] as Tlv);
  const digestAlgorithm = algorithmAt(bytes, f[2]);
  const attrs = f[3] as Tlv;
  need(attrs.tag === 0xa0);
  const signedAttrs = nonEmpty(childrenOf(bytes, attrs)).map((a) => attributeAt(bytes, a));
  const signatureAlgorithm = algorithmAt(bytes, f[4]);
  const signature = f[5] as Tlv;
  need(signature.tag === 0x04);
  return {
    version,
    issuerAndSerialNumber: { serialNumber, issuer: () => issuer },
    issuer,
    digestAlgorithm,
    signedAttrs,
    signatureAlgorithm,
    signature: contentOf(bytes, signature),
    hasUnsignedAttrs: false,
  };
}

/**
 * `fields` are the TLVs of the SignedData's fields other than `certificates`, in order, inside
 * `bytes` (the container, checked DER by the caller). The view, or undefined for a shape this
 * reader does not read (then use the schema reader on the same fields).
 */
export function readSignedDataDirectly(bytes: Uint8Array, fields: readonly Tlv[]): SignedDataView | undefined {
  return readDirectly(() => {
    // The schema reader parses these fields in one SEQUENCE: its limits apply to them together.
    let nodes = 1;
    for (const f of fields) nodes += nodeBound(bytes, f);
    need(nodes <= SCHEMA_PARSER_MAX_NODES && bytes.length <= SCHEMA_PARSER_MAX_CONTENT);
    const f = fields;
    need(f.length === 4);
    const version = smallIntegerAt(bytes, f[0]);
    need(f[1]?.tag === 0x31);
    const digestAlgorithms = nonEmpty(childrenOf(bytes, f[1] as Tlv)).map((a) => algorithmAt(bytes, a));
    need(f[2]?.tag === 0x30);
    const eci = childrenOf(bytes, f[2] as Tlv);
    need(eci.length === 2 && eci[1]?.tag === 0xa0);
    const eContentType = oidAt(bytes, eci[0]);
    const wrapped = childrenOf(bytes, eci[1] as Tlv);
    need(wrapped.length === 1 && wrapped[0]?.tag === 0x04);
    // A copy: the content goes to the caller (verifySigned's payload), not a view of the container.
    const eContent = contentOf(bytes, wrapped[0] as Tlv).slice();
    need(f[3]?.tag === 0x31);
    const infos = childrenOf(bytes, f[3] as Tlv);
    need(infos.length === 1);
    const si = signerInfoAt(bytes, infos[0]);
    const view: SignedDataView = {
      version,
      digestAlgorithms,
      eContentType,
      eContent,
      hasCrls: false,
      signerInfos: [si],
    };
    // What the schema reader checks: the values read re-encode to exactly the input.
    const again = reencode(view, si);
    for (let i = 0; i < again.length; i++) {
      need(bytesEqual(encodeDer(again[i] as DerPart), encodingOf(bytes, f[i] as Tlv)));
    }
    return view;
  });
}

function algorithmDer(a: AlgorithmView): DerPart {
  const oid = oidDer(a.algorithm);
  if (a.parameters === undefined) return tlv(0x30, oid);
  return tlv(0x30, oid, a.parameters === null ? Uint8Array.of(0x05, 0x00) : new Uint8Array(a.parameters));
}

function integerDer(v: number): DerPart {
  return Uint8Array.of(0x02, 0x01, v);
}

/** The DER of the fields of a view read by the direct reader (its own shape only), in order. */
function reencode(sd: SignedDataView, si: DirectSignerInfo): DerPart[] {
  const attrs = (si.signedAttrs ?? []).map((a) => tlv(0x30, oidDer(a.attrType), tlv(0x31, ...a.attrValues)));
  return [
    integerDer(sd.version as number),
    tlv(0x31, ...sd.digestAlgorithms.map(algorithmDer)),
    tlv(0x30, oidDer(sd.eContentType), tlv(0xa0, tlv(0x04, sd.eContent ?? new Uint8Array(0)))),
    tlv(
      0x31,
      tlv(
        0x30,
        integerDer(si.version as number),
        tlv(0x30, si.issuer, tlv(0x02, (si.issuerAndSerialNumber as IssuerAndSerial).serialNumber)),
        algorithmDer(si.digestAlgorithm),
        tlv(0xa0, ...attrs),
        algorithmDer(si.signatureAlgorithm),
        tlv(0x04, si.signature),
      ),
    ),
  ];
}
