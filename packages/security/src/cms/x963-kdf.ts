/**
 * The ANSI X9.63 key derivation function (BSI TR-03111 §4.3.3, SEC 1 §3.6.1) and the
 * ECC-CMS-SharedInfo it takes in CMS (RFC 5753 §7.2). Spec notes §3.7: the KEK of a CMS recipient
 * comes from ECKA-EG "mit X9.63-KDF" with SHA-256.
 *
 *   K_i = H(Z || counter_i || SharedInfo), counter_i = i as a 32-bit big-endian integer from 1,
 *   K   = leftmost keyDataLength bytes of K_1 || K_2 || ...
 *
 * Sans-I/O: pure functions over bytes.
 */
import { createHash } from 'node:crypto';
import { zeroize } from '@opensmgw/core';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { type HashName, NODE_HASH } from '../curves.js';
import { CmsError } from '../errors.js';
import { EccCmsSharedInfo } from './cms-asn1.js';

const HASH_LENGTH: Readonly<Record<HashName, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/**
 * X9.63 KDF: `length` bytes from the shared secret `z` and `sharedInfo`. X9.63 caps the output at
 * hashLength × (2^32 − 1) bytes; we cap it far lower (a CMS KEK is 16–32 bytes).
 */
export function x963Kdf(z: Uint8Array, sharedInfo: Uint8Array, length: number, hash: HashName = 'SHA-256'): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 1024) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `X9.63 KDF: key data length ${length} outside 1..1024 bytes`);
  }
  const hashLength = HASH_LENGTH[hash];
  const out = new Uint8Array(Math.ceil(length / hashLength) * hashLength);
  const counter = new Uint8Array(4);
  for (let i = 1, o = 0; o < length; i++, o += hashLength) {
    new DataView(counter.buffer).setUint32(0, i);
    const block = createHash(NODE_HASH[hash]).update(z).update(counter).update(sharedInfo).digest();
    out.set(block, o);
    block.fill(0);
  }
  if (out.length === length) return out;
  const key = out.slice(0, length);
  zeroize(out);
  return key;
}

/**
 * DER ECC-CMS-SharedInfo (RFC 5753 §7.2) for a KEK of `kekBits` bits used with the key-wrap
 * algorithm `keyWrapOid` (AES key wrap: parameters absent, RFC 3565 §2.3.2). `ukm` is the
 * KeyAgreeRecipientInfo ukm, which we never send (ephemeral keys already make the KEK unique) but
 * accept when opening.
 */
export function eccCmsSharedInfo(keyWrapOid: string, kekBits: number, ukm?: Uint8Array): Uint8Array {
  const supp = new Uint8Array(4);
  new DataView(supp.buffer).setUint32(0, kekBits);
  const info = new EccCmsSharedInfo({
    keyInfo: new AlgorithmIdentifier({ algorithm: keyWrapOid }),
    suppPubInfo: new OctetString(supp),
  });
  if (ukm !== undefined) info.entityUInfo = new OctetString(ukm);
  return new Uint8Array(AsnConvert.serialize(info));
}
