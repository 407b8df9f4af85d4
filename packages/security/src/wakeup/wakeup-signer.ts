/**
 * Signing a wake-up packet: the head-end's GWA side (spec notes §5.2: "the GWA signs the
 * packet"). The private key stays in the security module; the curve of the slot's key fixes the
 * algorithm byte, so a packet can never claim a curve its signature was not made on.
 */
import { CURVES, type HashName, requireHash } from '../curves.js';
import { derToRawSignature } from '../ec-keys.js';
import { WakeupError } from '../errors.js';
import type { SecurityModule } from '../module/security-module.js';
import { assembleWakeupPacket, encodeWakeupBody, type WakeupFields } from './wakeup-packet.js';

/**
 * Builds and signs a wake-up packet with the key in `slot` (the GWA's SIG key). `hash` defaults
 * to the hash matching the key's curve (SHA-256 for brainpoolP256r1).
 */
export async function signWakeupPacket(
  module: Pick<SecurityModule, 'publicKey' | 'sign'>,
  slot: string,
  fields: WakeupFields,
  hash?: HashName,
): Promise<Uint8Array> {
  const key = await module.publicKey(slot);
  const curve = CURVES[key.curve];
  const h = hash === undefined ? curve.hash : requireHash(hash);
  const body = encodeWakeupBody({ ...fields, curve: key.curve, hash: h });
  const der = await module.sign(slot, body, h);
  let raw: Uint8Array;
  try {
    raw = derToRawSignature(der, curve.size);
  } catch (e) {
    throw new WakeupError('SMGW_WAKEUP_BAD_ARGUMENT', 'the security module returned a signature that is not DER', {
      cause: e,
    });
  }
  return assembleWakeupPacket(body, raw);
}
