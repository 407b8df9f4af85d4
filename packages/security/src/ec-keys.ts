/**
 * Public-key plumbing shared by every part of the package: SubjectPublicKeyInfo <-> uncompressed
 * point (TR-03116-3 §3.1: points are always uncompressed), DER <-> raw (r||s) ECDSA signatures
 * (PKCS#11 returns raw, X.509/CMS/TLS carry DER), and signature verification with node:crypto.
 * Verification needs no security module: it only uses public keys.
 */
import { createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { ECDSASigValue, ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert, AsnSerializer } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  CURVES,
  type CurveInfo,
  type CurveName,
  curveByOid,
  EC_PUBLIC_KEY_OID,
  type HashName,
  NODE_HASH,
} from './curves.js';
import { SecurityModuleError } from './errors.js';

/** A public key as the security module reports it. */
export interface EcPublicKey {
  readonly curve: CurveName;
  /** Uncompressed point 04||X||Y. */
  readonly point: Uint8Array;
  /** DER SubjectPublicKeyInfo (RFC 5480, namedCurve). */
  readonly spki: Uint8Array;
}

function badKey(message: string, cause?: unknown): SecurityModuleError {
  return new SecurityModuleError('SMGW_SM_BAD_PEER_KEY', message, cause === undefined ? {} : { cause });
}

/**
 * DER SubjectPublicKeyInfo prefix per curve: for an uncompressed point of fixed length the
 * encoding is always prefix || point, so it is serialised once per curve (CMS and ECDH build
 * SPKIs for every ephemeral key).
 */
const spkiPrefixes = new Map<CurveName, Uint8Array>();

function spkiPrefix(info: CurveInfo): Uint8Array {
  let prefix = spkiPrefixes.get(info.name);
  if (prefix === undefined) {
    const placeholder = new Uint8Array(1 + 2 * info.size);
    placeholder[0] = 0x04;
    const spki = new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: EC_PUBLIC_KEY_OID,
        parameters: AsnSerializer.serialize(new ECParameters({ namedCurve: info.oid })),
      }),
      subjectPublicKey: placeholder.buffer as ArrayBuffer,
    });
    const der = new Uint8Array(AsnConvert.serialize(spki));
    prefix = der.slice(0, der.length - placeholder.length);
    spkiPrefixes.set(info.name, prefix);
  }
  return prefix;
}

/** Builds the DER SubjectPublicKeyInfo for an uncompressed point on `curve`. */
export function spkiFromPoint(curve: CurveName, point: Uint8Array): Uint8Array {
  const info = CURVES[curve];
  checkPointShape(info, point);
  const prefix = spkiPrefix(info);
  const out = new Uint8Array(prefix.length + point.length);
  out.set(prefix);
  out.set(point, prefix.length);
  return out;
}

/**
 * node:crypto KeyObjects of keys made by parseSpki / publicKeyFromPoint (which import the key
 * anyway, to check the point lies on the curve), so callers do not import the same key twice.
 */
const keyObjects = new WeakMap<EcPublicKey, KeyObject>();

/** The KeyObject for `key` (imported once per EcPublicKey). */
export function keyObjectOf(key: EcPublicKey): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) {
    k = toKeyObject(key.spki);
    keyObjects.set(key, k);
  }
  return k;
}

/**
 * Parses a DER SubjectPublicKeyInfo of one of our curves. Throws SMGW_SM_BAD_PEER_KEY for
 * anything else (other algorithm, unknown curve, compressed or malformed point, point not on
 * the curve: node:crypto checks that when it imports the key).
 */
export function parseSpki(spki: Uint8Array): EcPublicKey {
  let parsed: SubjectPublicKeyInfo;
  try {
    parsed = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  } catch (e) {
    throw badKey('public key: not a DER SubjectPublicKeyInfo', e);
  }
  if (parsed.algorithm.algorithm !== EC_PUBLIC_KEY_OID || !parsed.algorithm.parameters) {
    throw badKey(`public key: algorithm ${parsed.algorithm.algorithm} is not id-ecPublicKey with a named curve`);
  }
  let curveOid: string | undefined;
  try {
    curveOid = AsnConvert.parse(parsed.algorithm.parameters, ECParameters).namedCurve;
  } catch (e) {
    throw badKey('public key: curve parameters are not a named-curve OID', e);
  }
  if (curveOid === undefined) throw badKey('public key: curve parameters are not a named-curve OID');
  const info = curveByOid(curveOid);
  if (!info) throw badKey(`public key: curve ${curveOid} is not allowed by TR-03116-3`);
  const point = new Uint8Array(parsed.subjectPublicKey);
  checkPointShape(info, point);
  const canonical = spkiFromPoint(info.name, point);
  const key: EcPublicKey = { curve: info.name, point, spki: canonical };
  keyObjects.set(key, toKeyObject(canonical)); // on-curve check by OpenSSL
  return key;
}

/** An EcPublicKey from an uncompressed point, checked to lie on the curve. */
export function publicKeyFromPoint(curve: CurveName, point: Uint8Array): EcPublicKey {
  const spki = spkiFromPoint(curve, point);
  const key: EcPublicKey = { curve, point: new Uint8Array(point), spki };
  keyObjects.set(key, toKeyObject(spki)); // on-curve check by OpenSSL
  return key;
}

function checkPointShape(info: CurveInfo, point: Uint8Array): void {
  if (point.length !== 1 + 2 * info.size || point[0] !== 0x04) {
    throw badKey(`public key: expected an uncompressed ${info.name} point of ${1 + 2 * info.size} bytes`);
  }
}

/**
 * A peer's public key for ECKA-DH with a key on `curve` (SecurityModule.ecdh contract): an
 * uncompressed point or a DER SPKI, on that curve. SMGW_SM_BAD_PEER_KEY otherwise. Shared by
 * every backend so they refuse the same keys with the same words.
 */
export function peerKeyOnCurve(curve: CurveName, peer: unknown): EcPublicKey {
  if (!(peer instanceof Uint8Array) || peer.length === 0) {
    throw badKey('peer public key must be a non-empty Uint8Array');
  }
  const key = peer[0] === 0x30 ? parseSpki(peer) : publicKeyFromPoint(curve, peer);
  if (key.curve !== curve) throw badKey(`peer key is on ${key.curve}, the slot's key on ${curve}`);
  return key;
}

/** node:crypto KeyObject for a DER SPKI; SMGW_SM_BAD_PEER_KEY if OpenSSL refuses it. */
export function toKeyObject(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw badKey('public key: not a valid point on its curve', e);
  }
}

/** DER Ecdsa-Sig-Value -> fixed-length r||s. */
export function derToRawSignature(der: Uint8Array, size: number): Uint8Array {
  const sig = AsnConvert.parse(der, ECDSASigValue);
  const out = new Uint8Array(2 * size);
  putUnsigned(out, 0, size, new Uint8Array(sig.r));
  putUnsigned(out, size, size, new Uint8Array(sig.s));
  return out;
}

/** Fixed-length r||s -> DER Ecdsa-Sig-Value (minimal INTEGERs). */
export function rawToDerSignature(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new SecurityModuleError('SMGW_SM_BACKEND', `raw ECDSA signature of odd length ${raw.length}`);
  }
  const half = raw.length / 2;
  const sig = new ECDSASigValue({ r: asInteger(raw.subarray(0, half)), s: asInteger(raw.subarray(half)) });
  return new Uint8Array(AsnConvert.serialize(sig));
}

function asInteger(unsigned: Uint8Array): ArrayBuffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const body = unsigned.subarray(i);
  const out = new Uint8Array(body.length + ((body[0] ?? 0) & 0x80 ? 1 : 0));
  out.set(body, out.length - body.length);
  return out.buffer as ArrayBuffer;
}

function putUnsigned(out: Uint8Array, offset: number, size: number, integer: Uint8Array): void {
  let i = 0;
  while (i < integer.length - 1 && integer[i] === 0) i++;
  const body = integer.subarray(i);
  if (body.length > size)
    throw new SecurityModuleError('SMGW_SM_BACKEND', 'ECDSA signature component longer than the curve');
  out.set(body, offset + size - body.length);
}

/**
 * Verifies a DER ECDSA signature over `data` with the public key in `spki`. Returns false for a
 * wrong signature (also a malformed one); throws only for an unusable key.
 */
export function verifySignature(
  spki: Uint8Array | KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  hash: HashName,
): boolean {
  const key = spki instanceof Uint8Array ? toKeyObject(spki) : spki;
  try {
    return nodeVerify(NODE_HASH[hash], data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
