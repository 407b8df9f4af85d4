/**
 * ECKA-EG (BSI TR-03111 §4.3.2.2): "ElGamal" key agreement with an ephemeral sender key and the
 * recipient's static ENC key, followed by the X9.63 KDF (spec notes §3.7). In CMS terms
 * (RFC 5753 ephemeral-static ECDH) the sender's ephemeral public point travels as the
 * OriginatorPublicKey of a KeyAgreeRecipientInfo.
 *
 * Sender:    (d_e, P_e) fresh on the recipient's curve; Z = x(d_e · P_R); KEK = KDF(Z, SharedInfo).
 * Recipient: Z = x(d_R · P_e) computed inside its SecurityModule; same KDF.
 *
 * TR-03116-3 §3.1 (spec notes §3.1): ephemeral keys and derived secrets are deleted after use.
 * Z is zeroised here; the ephemeral private key is a node:crypto KeyObject that never leaves
 * this function (OpenSSL frees it when the object is collected; JS cannot wipe it earlier).
 */
import { diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isSmgwError, zeroize } from '@opensmgw/core';
import { CURVES, type CurveName } from '../curves.js';
import { type EcPublicKey, parseSpki, toKeyObject } from '../ec-keys.js';
import { CmsError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { x963Kdf } from './x963-kdf.js';

export interface EckaEgSenderResult {
  /** The ephemeral public key, uncompressed point 04||X||Y on the recipient's curve. */
  readonly ephemeralPoint: Uint8Array;
  /** The derived key-encryption key; the caller zeroises it after wrapping. */
  readonly kek: Uint8Array;
}

/** Sender side: a fresh ephemeral key on the recipient's curve, Z, and the KEK. */
export function eckaEgSend(recipient: EcPublicKey, sharedInfo: Uint8Array, kekLength: number): EckaEgSenderResult {
  return eckaEgSendTo(recipient.curve, toKeyObject(recipient.spki), sharedInfo, kekLength);
}

/**
 * `eckaEgSend` with the recipient's key already imported (a KeyObject on `curve`, checked by
 * OpenSSL on import): the containers import each recipient key once (cms-certificate.ts).
 */
export function eckaEgSendTo(
  curve: CurveName,
  recipient: KeyObject,
  sharedInfo: Uint8Array,
  kekLength: number,
): EckaEgSenderResult {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].opensslName });
  const ephemeralPoint = pointOf(curve, new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  const z = new Uint8Array(diffieHellman({ privateKey, publicKey: recipient }));
  try {
    return { ephemeralPoint, kek: x963Kdf(z, sharedInfo, kekLength, 'SHA-256') };
  } finally {
    zeroize(z);
  }
}

/**
 * The uncompressed point of an SPKI that OpenSSL just wrote for a key on `curve`: its last
 * 1 + 2·size bytes, after the BIT STRING's zero unused-bits octet. Anything else (never seen)
 * goes through the full parse.
 */
function pointOf(curve: CurveName, spki: Uint8Array): Uint8Array {
  const n = 1 + 2 * CURVES[curve].size;
  const at = spki.length - n;
  // BIT STRING header: 03 len 00, the length in one byte below 128, else 81 len.
  const header = n + 1 < 0x80 ? [0x03, n + 1, 0x00] : [0x03, 0x81, n + 1, 0x00];
  const start = at - header.length;
  if (start > 0 && spki[at] === 0x04 && header.every((b, i) => spki[start + i] === b)) return spki.slice(at);
  return parseSpki(spki).point;
}

/**
 * Recipient side: Z from the module's ENC key in `slot` and the sender's ephemeral point, then
 * the KEK. A point the module rejects (not on the slot's curve) is SMGW_CMS_MALFORMED; other
 * module errors (no key in the slot, closed module) are configuration faults and pass unchanged.
 */
export async function eckaEgReceive(
  module: SecurityModule,
  slot: string,
  ephemeralPoint: Uint8Array,
  sharedInfo: Uint8Array,
  kekLength: number,
): Promise<Uint8Array> {
  let z: Uint8Array;
  try {
    z = await module.ecdh(slot, ephemeralPoint);
  } catch (e) {
    if (isSmgwError(e) && e.code === 'SMGW_SM_BAD_PEER_KEY') {
      throw new CmsError('SMGW_CMS_MALFORMED', 'originator key is not a valid point on the recipient curve', {
        cause: e,
      });
    }
    throw e;
  }
  try {
    return x963Kdf(z, sharedInfo, kekLength, 'SHA-256');
  } finally {
    zeroize(z);
  }
}
