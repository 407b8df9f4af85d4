/**
 * AES-CMAC (RFC 4493), shared by the wM-Bus layers (AFL MAC, mode-7 KDF; spec notes §3.6) and the
 * CMS containers (AES-128-CBC + CMAC content protection; spec notes §3.7). Node has no
 * `crypto.createMac`, so the chain runs block by block on one AES-ECB cipher object per key:
 * creating a cipher object costs a few microseconds, a block on an existing one far less. Long
 * messages (CMS payloads) run the chain through one AES-CBC call instead: the CBC-MAC chain of the
 * first n-1 blocks is the last block of their CBC encryption under IV 0.
 */
import { type Cipher, createCipheriv } from 'node:crypto';
import { CoreError } from './errors.js';

const BLOCK = 16;
const ZERO_BLOCK = new Uint8Array(BLOCK);
/** From this many leading blocks on, one CBC call beats the per-block loop (measured: ~8). */
const CBC_CHAIN_MIN_BLOCKS = 8;

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** RFC 4493 §2.3 doubling in GF(2^128): shift left one bit, XOR 0x87 when the top bit fell out. */
function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = (((block[i] as number) << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  if ((block[0] as number) & 0x80) out[15] = (out[15] as number) ^ 0x87;
  return out;
}

/**
 * An AES-128-CMAC key (RFC 4493) with its subkeys K1/K2 computed once. One ECB cipher object serves
 * the subkeys and every CMAC chain of this key. A key that is not 16 bytes is
 * SMGW_CORE_BAD_ARGUMENT (callers with their own error vocabulary check the length first).
 */
export class CmacKey {
  readonly #ecb: Cipher;
  readonly #key: Uint8Array;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== 16) {
      throw new CoreError('SMGW_CORE_BAD_ARGUMENT', `AES-CMAC needs a 16-byte AES-128 key, got ${key.length} byte(s)`, {
        detail: { keyLength: key.length },
      });
    }
    this.#key = new Uint8Array(key);
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
    const l = this.#encryptBlock(ZERO_BLOCK);
    this.#k1 = dbl(l);
    this.#k2 = dbl(this.#k1);
    l.fill(0);
  }

  #encryptBlock(block: Uint8Array): Uint8Array {
    return view(this.#ecb.update(block));
  }

  /** The full 16-byte CMAC of `message` (RFC 4493 §2.4). */
  mac(message: Uint8Array): Uint8Array {
    const n = message.length === 0 ? 1 : Math.ceil(message.length / BLOCK);
    const complete = message.length > 0 && message.length % BLOCK === 0;
    let x: Uint8Array = new Uint8Array(BLOCK);
    const y = new Uint8Array(BLOCK);
    if (n - 1 >= CBC_CHAIN_MIN_BLOCKS) {
      const cbc = createCipheriv('aes-128-cbc', this.#key, ZERO_BLOCK);
      cbc.setAutoPadding(false);
      const chained = cbc.update(message.subarray(0, (n - 1) * BLOCK));
      x = view(chained).slice(chained.length - BLOCK);
    } else {
      for (let b = 0; b < n - 1; b++) {
        const o = b * BLOCK;
        for (let i = 0; i < BLOCK; i++) y[i] = (x[i] as number) ^ (message[o + i] as number);
        x = this.#encryptBlock(y);
      }
    }
    const o = (n - 1) * BLOCK;
    const rest = message.length - o;
    const k = complete ? this.#k1 : this.#k2;
    for (let i = 0; i < BLOCK; i++) {
      const m = i < rest ? (message[o + i] as number) : i === rest ? 0x80 : 0;
      y[i] = (x[i] as number) ^ m ^ (k[i] as number);
    }
    return this.#encryptBlock(y);
  }
}

/** AES-CMAC of RFC 4493 (full 16 bytes). */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new CmacKey(key).mac(message);
}
