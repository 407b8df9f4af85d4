/**
 * The cryptography of the wM-Bus layers, in one place (DESIGN.md "security.ts"):
 * - AES-128-CBC for TPL security modes 5 and 7 (EN 13757-7 §9.4.4, §9.4.6; OMS Vol.2 §9.2),
 * - AES-128-CTR for the extended link layer (EN 13757-4 §13.2, ELL session number encryption 1),
 * - AES-CMAC (RFC 4493, implemented in @opensmgw/core) for the AFL MAC and the mode-7 key derivation,
 * - the mode-7 KDF of TR-03116-3 §7 / EN 13757-7 §9.6.1 ("KDF-A"),
 * - the IVs of mode 5 and of the ELL,
 * - DES-CBC for the deprecated mode 2 (EN 13757-7 Table 18; still sent by a few old meters).
 *
 * Everything runs on node:crypto (OpenSSL 3). Creating a cipher object costs a few microseconds, so
 * long-lived keys keep their cipher objects (CMAC subkeys, ECB decipher) in the caller's `KeyCache`.
 */
import { createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { CmacKey as CoreCmacKey } from '@opensmgw/core';
import { WmbusError } from './errors.js';

const BLOCK = 16;

function requireAesKey(key: Uint8Array, what: string): void {
  if (key.length !== 16) {
    throw new WmbusError(
      'SMGW_WMBUS_DECRYPT',
      `wrong key: ${what} needs a 16-byte AES-128 key, got ${key.length} byte(s)`,
      {
        detail: { keyLength: key.length },
      },
    );
  }
}

function requireBlocks(data: Uint8Array, what: string): void {
  if (data.length % BLOCK !== 0) {
    throw new WmbusError('SMGW_WMBUS_MALFORMED', `${what}: ${data.length} byte(s) is not a multiple of 16`);
  }
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** AES-128-CBC decryption without padding (the TPL pads with 2F fillers itself). */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  requireAesKey(key, 'AES-CBC');
  requireBlocks(data, 'AES-CBC');
  if (data.length === 0) return new Uint8Array(0);
  const d = createDecipheriv('aes-128-cbc', key, iv);
  d.setAutoPadding(false);
  return view(d.update(data));
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  requireAesKey(key, 'AES-CBC');
  requireBlocks(data, 'AES-CBC');
  if (data.length === 0) return new Uint8Array(0);
  const c = createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return view(c.update(data));
}

/**
 * AES-128-CTR (encryption and decryption are the same). The ELL IV ends in FN(2) BC(1) with BC the
 * block counter (EN 13757-4 §13.2.2); node's 128-bit big-endian increment equals incrementing BC as
 * long as a payload has fewer than 256 blocks, which a wM-Bus frame (≤ 255 bytes) always has.
 */
export function aesCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  requireAesKey(key, 'AES-CTR');
  if (data.length === 0) return new Uint8Array(0);
  const c = createCipheriv('aes-128-ctr', key, iv);
  return view(c.update(data));
}

/**
 * DES-CBC for security mode 2 (IV = 0). OpenSSL 3 keeps single DES in its legacy provider, which
 * node does not load; two-key triple DES with K1 = K2 computes E(K, D(K, E(K, x))) = E(K, x), i.e.
 * single DES, and is in the default provider.
 */
export function desCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 8) {
    throw new WmbusError('SMGW_WMBUS_DECRYPT', `wrong key: DES needs an 8-byte key, got ${key.length} byte(s)`, {
      detail: { keyLength: key.length },
    });
  }
  if (data.length % 8 !== 0) throw new WmbusError('SMGW_WMBUS_MALFORMED', 'DES-CBC: length is not a multiple of 8');
  if (data.length === 0) return new Uint8Array(0);
  const k = new Uint8Array(16);
  k.set(key, 0);
  k.set(key, 8);
  const d = createDecipheriv('des-ede-cbc', k, iv);
  d.setAutoPadding(false);
  return view(d.update(data));
}

export function desCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 8) throw new WmbusError('SMGW_WMBUS_ENCODE', `DES needs an 8-byte key, got ${key.length}`);
  if (data.length % 8 !== 0) throw new WmbusError('SMGW_WMBUS_ENCODE', 'DES-CBC: length is not a multiple of 8');
  if (data.length === 0) return new Uint8Array(0);
  const k = new Uint8Array(16);
  k.set(key, 0);
  k.set(key, 8);
  const c = createCipheriv('des-ede-cbc', k, iv);
  c.setAutoPadding(false);
  return view(c.update(data));
}

/**
 * AES-CMAC (RFC 4493) lives in @opensmgw/core (the CMS containers of the security package use it
 * too). This subclass keeps the wM-Bus error for a wrong key length (SMGW_WMBUS_DECRYPT: a
 * configured meter key of the wrong size is a decryption failure of that meter's telegrams).
 */
export class CmacKey extends CoreCmacKey {
  constructor(key: Uint8Array) {
    requireAesKey(key, 'AES-CMAC');
    super(key);
  }
}

/** AES-CMAC of RFC 4493 (full 16 bytes). */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new CmacKey(key).mac(message);
}

/**
 * A long-lived key (a meter's master key or static mode-5 key) with its node:crypto objects made
 * once: the CMAC subkeys for the KDF, and an AES-ECB decipher on which CBC decryption runs block
 * by block (CBC: P_i = D(C_i) XOR C_(i-1)), so a telegram costs no cipher-object creation.
 */
export class CachedKey {
  readonly #key: Uint8Array;
  #cmac: CmacKey | null = null;
  #ecb: Decipher | null = null;

  constructor(key: Uint8Array) {
    requireAesKey(key, 'AES-128');
    this.#key = key.slice();
  }

  get cmac(): CmacKey {
    this.#cmac ??= new CmacKey(this.#key);
    return this.#cmac;
  }

  /** AES-128-CBC decryption without padding, equal to `aesCbcDecrypt(key, iv, data)`. */
  cbcDecrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    requireBlocks(data, 'AES-CBC');
    if (data.length === 0) return new Uint8Array(0);
    if (this.#ecb === null) {
      this.#ecb = createDecipheriv('aes-128-ecb', this.#key, null);
      this.#ecb.setAutoPadding(false);
    }
    const out = view(this.#ecb.update(data));
    for (let i = 0; i < BLOCK; i++) out[i] = (out[i] as number) ^ (iv[i] as number);
    for (let i = BLOCK; i < out.length; i++) out[i] = (out[i] as number) ^ (data[i - BLOCK] as number);
    return out;
  }
}

/**
 * A small bounded cache of `CachedKey`s, so the mode-7 KDF and mode-5 decryption do not rebuild
 * their cipher objects for every telegram of a meter. Holds key material: it lives in the
 * caller's `DecoderState`, never in module scope.
 */
export class KeyCache {
  readonly #max: number;
  readonly #map = new Map<string, CachedKey>();

  constructor(max = 64) {
    this.#max = max;
  }

  get(key: Uint8Array): CachedKey {
    // A 16-character map key (one char per byte); explicit indexes are much cheaper than a spread.
    const id =
      key.length === 16
        ? String.fromCharCode(
            key[0] as number,
            key[1] as number,
            key[2] as number,
            key[3] as number,
            key[4] as number,
            key[5] as number,
            key[6] as number,
            key[7] as number,
            key[8] as number,
            key[9] as number,
            key[10] as number,
            key[11] as number,
            key[12] as number,
            key[13] as number,
            key[14] as number,
            key[15] as number,
          )
        : String.fromCharCode(...key);
    let k = this.#map.get(id);
    if (k === undefined) {
      k = new CachedKey(key);
      if (this.#map.size >= this.#max) {
        const oldest = this.#map.keys().next().value;
        if (oldest !== undefined) this.#map.delete(oldest);
      }
      this.#map.set(id, k);
    }
    return k;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
  }
}

/** Derivation constants of the KDF (TR-03116-3 §7, EN 13757-7 §9.6.1). */
export const KDF_DC = {
  /** K_Enc: encryption, messages from the meter. */
  encFromMeter: 0x00,
  /** K_MAC: MAC, messages from the meter. */
  macFromMeter: 0x01,
  /** L_Enc: encryption, messages to the meter. */
  encToMeter: 0x10,
  /** L_MAC: MAC, messages to the meter. */
  macToMeter: 0x11,
} as const;

/**
 * KDF-A input: DC || C (4 bytes, as on the wire, little endian) || ID (4 bytes, as on the wire) ||
 * padding 07 × 7, one complete CMAC block. ID is the TPL long-header ID, else the DLL ID.
 */
export function kdfInput(dc: number, counter: Uint8Array, id: Uint8Array): Uint8Array {
  if (counter.length !== 4 || id.length !== 4) throw new RangeError('kdfInput: counter and id have 4 bytes each');
  const input = new Uint8Array(16).fill(0x07);
  input[0] = dc;
  input.set(counter, 1);
  input.set(id, 5);
  return input;
}

export interface EphemeralKeys {
  readonly kEnc: Uint8Array;
  readonly kMac: Uint8Array;
}

/** K_Enc and K_MAC of one meter message (mode 7, KDF-A). */
export function deriveMode7Keys(
  masterKey: Uint8Array | CoreCmacKey,
  counter: Uint8Array,
  id: Uint8Array,
  direction: 'fromMeter' | 'toMeter' = 'fromMeter',
): EphemeralKeys {
  const mk = masterKey instanceof CoreCmacKey ? masterKey : new CmacKey(masterKey);
  const enc = direction === 'fromMeter' ? KDF_DC.encFromMeter : KDF_DC.encToMeter;
  const mac = direction === 'fromMeter' ? KDF_DC.macFromMeter : KDF_DC.macToMeter;
  return { kEnc: mk.mac(kdfInput(enc, counter, id)), kMac: mk.mac(kdfInput(mac, counter, id)) };
}

/**
 * Mode-5 IV (EN 13757-7 §9.4.4): M (2) || A (6: ID, version, device type) || access number × 8.
 * M and A are the long transport header's when there is one, else the link layer's.
 */
export function mode5Iv(mField: Uint8Array, aField: Uint8Array, accessNumber: number): Uint8Array {
  if (mField.length !== 2 || aField.length !== 6) throw new RangeError('mode5Iv: M has 2 bytes, A has 6');
  const iv = new Uint8Array(16).fill(accessNumber & 0xff);
  iv.set(mField, 0);
  iv.set(aField, 2);
  return iv;
}

/**
 * ELL AES-CTR IV (EN 13757-4 §13.2.2, OMS Vol.2 §9.3): M (2) || A (6) of the link layer || CC with
 * the hop-count bit H (0x10) and the repeated-access bit R (0x02) cleared, since a repeater may
 * change them || SN (4) || FN = 0000 || BC = 00.
 */
export function ellIv(mField: Uint8Array, aField: Uint8Array, cc: number, sessionNumber: Uint8Array): Uint8Array {
  if (mField.length !== 2 || aField.length !== 6 || sessionNumber.length !== 4) {
    throw new RangeError('ellIv: M has 2 bytes, A 6, SN 4');
  }
  const iv = new Uint8Array(16);
  iv.set(mField, 0);
  iv.set(aField, 2);
  iv[8] = cc & ~0x10 & ~0x02 & 0xff;
  iv.set(sessionNumber, 9);
  return iv;
}

/** The all-zero IV of modes 2 (8 bytes) and 7 (16 bytes). */
export const zeroIv = (length: 8 | 16): Uint8Array => new Uint8Array(length);

/**
 * Keys that manufacturers publish as the default of meters shipped without an individual key
 * ([I], wmbusmeters manufacturer_specificities.cc): Diehl-group meters (DME, EWT, HYD, SAP, SPL)
 * sending standard OMS frames in mode 5 use the 8-byte value 51728910E66D83F8 twice. Tried only
 * when the caller has no key for the meter (`DecodeOptions.manufacturerDefaultKeys`).
 */
const DIEHL_DEFAULT_KEY_HALF = Uint8Array.of(0x51, 0x72, 0x89, 0x10, 0xe6, 0x6d, 0x83, 0xf8);
const DIEHL_GROUP: ReadonlySet<string> = new Set(['DME', 'EWT', 'HYD', 'SAP', 'SPL']);

export function manufacturerDefaultKey(manufacturer: string, securityMode: number): Uint8Array | null {
  if (securityMode === 5 && DIEHL_GROUP.has(manufacturer)) {
    const k = new Uint8Array(16);
    k.set(DIEHL_DEFAULT_KEY_HALF, 0);
    k.set(DIEHL_DEFAULT_KEY_HALF, 8);
    return k;
  }
  return null;
}
