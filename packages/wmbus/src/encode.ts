/**
 * Encoder of whole telegrams, the inverse of the decode pipeline, so simulators can produce any
 * telegram the decoder reads: link layer (format A, B, CRC-stripped, or a wired long frame), ELL
 * (with AES-CTR), AFL (with CMAC, optionally fragmented), transport layer (no/short/long header,
 * security modes 0, 5 and 7 with 2F2F check bytes and 2F padding), around application-layer bytes
 * given by the caller (records.ts `encodeRecords` makes them from records).
 *
 * decode(encode(x)) = x holds for the fields given here; for encrypted modes the application layer
 * comes back as `plaintextOf(apl)` (2F2F prepended where missing, 2F-padded to whole blocks).
 */
import { concatBytes } from '@opensmgw/core';
import { AFL_CI, type AflFields, authTypeInfo, computeAflMac, FCL, MCL } from './afl.js';
import { crc16En13757 } from './crc.js';
import { WmbusError } from './errors.js';
import { addCrcsFormatA, addCrcsFormatB, idFromString, manufacturerCode } from './link-layer.js';
import { aesCbcEncrypt, aesCtr, CmacKey, deriveMode7Keys, desCbcEncrypt, ellIv, mode5Iv, zeroIv } from './security.js';
import { ciInfo } from './transport-layer.js';

export interface EncodeAddress {
  /** Three-letter manufacturer flag ("ELS"). */
  readonly manufacturer: string;
  /** Identification number as printed ("12345678"). */
  readonly id: string;
  readonly version: number;
  readonly deviceType: number;
}

export interface EncodeEll {
  readonly ci: 0x8c | 0x8d | 0x8e | 0x8f;
  /** Communication control field; default 0x20 (synchronised). */
  readonly cc?: number;
  /** Default: the TPL access number, else 0. */
  readonly accessNumber?: number;
  /** M2/A2 of CI 8E/8F (receiver or partner). */
  readonly address?: EncodeAddress;
  /** Session number without the encryption bits (bits 0–28); CI 8D/8F. Default 0. */
  readonly sessionNumber?: number;
  /** Encrypt with AES-128-CTR (CI 8D/8F; needs the key). */
  readonly encrypt?: boolean;
}

export interface EncodeAfl {
  /** Message counter MCR (the KDF's C). */
  readonly counter: number;
  /** Authentication type: 0 none, 3/4/5/6/7 AES-CMAC truncated to 2/4/8/12/16 bytes. Default 5. */
  readonly authType?: 0 | 3 | 4 | 5 | 6 | 7;
  readonly keyInfo?: number;
  /** Send AFL.ML (message length). */
  readonly includeLength?: boolean;
  /** Split the TPDU into fragments of at most this many bytes (several frames). */
  readonly fragmentSize?: number;
}

export interface EncodeTpl {
  /** A transport-layer CI (72, 7A, 78, 79, …); its header kind comes from the CI table. */
  readonly ci: number;
  /** The meter's address in a long header (required for long-header CIs). */
  readonly address?: EncodeAddress;
  readonly accessNumber?: number;
  readonly status?: number;
  /** Configuration bits besides mode and N: B 0x8000, A 0x4000, S 0x2000, content 0x000C, R, H. */
  readonly configFlags?: number;
  /** Security mode: 0, 5, 7, or 2 (deprecated DES). Default 0. */
  readonly mode?: 0 | 2 | 5 | 7;
  /** Mode 7: KDF selection (default 1, KDF-A) and key id. */
  readonly kdf?: 0 | 1;
  readonly keyId?: number;
}

export interface EncodeTelegramInput {
  readonly format: 'A' | 'B' | 'stripped' | 'wired';
  /** Default 0x44 (SND_NR) for wireless, 0x08 (RSP_UD) for wired. */
  readonly cField?: number;
  /** Link-layer address (wireless frames). */
  readonly address?: EncodeAddress;
  /** Wired primary address; default 0xFD (secondary addressing). */
  readonly primaryAddress?: number;
  readonly ell?: EncodeEll;
  readonly afl?: EncodeAfl;
  readonly tpl: EncodeTpl;
  /** Application-layer bytes; for encrypted modes the part that is encrypted. */
  readonly apl: Uint8Array;
  /** OMS partial encryption: bytes sent in plain text after the encrypted blocks (modes 5/7). */
  readonly aplPlainTail?: Uint8Array;
  /** AES-128 key (modes 5/7, ELL encryption); 8-byte DES key for mode 2. */
  readonly key?: Uint8Array;
}

function fail(message: string): never {
  throw new WmbusError('SMGW_WMBUS_ENCODE', message);
}

function byte(v: number | undefined, what: string, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 0 || x > 0xff) fail(`${what} must be a byte, got ${x}`);
  return x;
}

/** M (2) || A (6) of an address, as on the wire. */
function addressBytes(a: EncodeAddress): { m: Uint8Array; a: Uint8Array } {
  const m = manufacturerCode(a.manufacturer);
  const aBytes = new Uint8Array(6);
  aBytes.set(idFromString(a.id), 0);
  aBytes[4] = byte(a.version, 'version', 0);
  aBytes[5] = byte(a.deviceType, 'device type', 0);
  return { m: Uint8Array.of(m & 0xff, m >> 8), a: aBytes };
}

/**
 * The plaintext an encrypted mode carries for `apl`: 2F2F check bytes first (added unless
 * present), 2F idle fillers up to whole blocks. The decoder returns exactly this.
 */
export function plaintextOf(apl: Uint8Array, block = 16): Uint8Array {
  const head =
    apl.length >= 2 && apl[0] === 0x2f && apl[1] === 0x2f ? apl : concatBytes(Uint8Array.of(0x2f, 0x2f), apl);
  const padded = Math.max(block, Math.ceil(head.length / block) * block);
  const out = new Uint8Array(padded).fill(0x2f);
  out.set(head);
  return out;
}

function counterBytes(counter: number): Uint8Array {
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff)
    fail(`AFL counter must be a 32-bit unsigned integer, got ${counter}`);
  return Uint8Array.of(counter & 0xff, (counter >>> 8) & 0xff, (counter >>> 16) & 0xff, (counter >>> 24) & 0xff);
}

function requireKey(key: Uint8Array | undefined, length: number, what: string): Uint8Array {
  if (key === undefined) fail(`${what} needs a key`);
  if (key.length !== length) fail(`${what} needs a ${length}-byte key, got ${key.length}`);
  return key;
}

interface Tpdu {
  readonly bytes: Uint8Array;
  /** Mode 7 / AFL MAC key, when there is a key. */
  readonly kMac: CmacKey | null;
}

function encodeTpdu(input: EncodeTelegramInput, dllAddress: { m: Uint8Array; a: Uint8Array } | null): Tpdu {
  const tpl = input.tpl;
  const info = ciInfo(byte(tpl.ci, 'CI', 0));
  if (info === undefined) fail(`CI ${tpl.ci.toString(16)} is not a transport-layer CI`);
  const mode = tpl.mode ?? 0;
  const parts: Uint8Array[] = [Uint8Array.of(tpl.ci)];
  let meter = dllAddress;
  if (info.header === 'long') {
    if (tpl.address === undefined) fail(`CI ${tpl.ci.toString(16)} has a long header: tpl.address is required`);
    const la = addressBytes(tpl.address);
    meter = la;
    parts.push(la.a.subarray(0, 4), la.m, la.a.subarray(4, 6));
  } else if (tpl.address !== undefined) {
    fail(`CI ${tpl.ci.toString(16)} has no long header: tpl.address must not be given`);
  }
  const tail = input.aplPlainTail ?? new Uint8Array(0);
  if (info.header === 'none') {
    if (mode !== 0) fail(`CI ${tpl.ci.toString(16)} has no header to carry security mode ${mode}`);
    parts.push(input.apl, tail);
    return { bytes: concatBytes(...parts), kMac: input.key?.length === 16 ? kdfMacKey(input, meter) : null };
  }
  const acc = byte(tpl.accessNumber, 'access number', 0);
  const sts = byte(tpl.status, 'status', 0);
  const flags = tpl.configFlags ?? 0;
  if (!Number.isInteger(flags) || (flags & ~0xe00f) !== 0) fail('configFlags may only set bits 15–13 and 3–0');

  let cfg = flags;
  let ext: number | null = null;
  let body: Uint8Array;
  let kMac: CmacKey | null = null;
  if (mode === 0) {
    body = concatBytes(input.apl, tail);
    if (input.afl && input.key?.length === 16) kMac = kdfMacKey(input, meter);
  } else if (mode === 5) {
    const key = requireKey(input.key, 16, 'security mode 5');
    if (meter === null) fail('security mode 5 needs a meter address for its IV (wired frames: use a long header)');
    const plain = plaintextOf(input.apl);
    const n = plain.length / 16;
    if (n > 15) fail(`security mode 5 encrypts at most 15 blocks, the application layer needs ${n}`);
    cfg |= (5 << 8) | (n << 4);
    body = concatBytes(aesCbcEncrypt(key, mode5Iv(meter.m, meter.a, acc), plain), tail);
    if (input.afl) kMac = kdfMacKey(input, meter);
  } else if (mode === 7) {
    const key = requireKey(input.key, 16, 'security mode 7');
    if (meter === null) fail('security mode 7 needs a meter ID for its KDF (wired frames: use a long header)');
    const kdf = tpl.kdf ?? 1;
    const keyId = tpl.keyId ?? 0;
    if (!Number.isInteger(keyId) || keyId < 0 || keyId > 15) fail('keyId is 0..15');
    const plain = plaintextOf(input.apl);
    const n = plain.length / 16;
    if (n > 15) fail(`security mode 7 encrypts at most 15 blocks, the application layer needs ${n}`);
    cfg |= (7 << 8) | (n << 4);
    ext = (kdf << 4) | keyId;
    let kEnc: Uint8Array;
    if (kdf === 1) {
      if (input.afl === undefined) fail('security mode 7 with KDF-A needs an AFL with the message counter');
      const keys = deriveMode7Keys(key, counterBytes(input.afl.counter), meter.a.subarray(0, 4));
      kEnc = keys.kEnc;
      kMac = new CmacKey(keys.kMac);
    } else {
      kEnc = key;
      kMac = new CmacKey(key);
    }
    body = concatBytes(aesCbcEncrypt(kEnc, zeroIv(16), plain), tail);
  } else if (mode === 2) {
    const key = requireKey(input.key, 8, 'security mode 2');
    const plain = plaintextOf(input.apl, 8);
    if (plain.length > 255) fail('security mode 2: at most 255 encrypted bytes');
    cfg |= (2 << 8) | plain.length;
    body = concatBytes(desCbcEncrypt(key, zeroIv(8), plain), tail);
  } else {
    fail(`security mode ${String(mode)} cannot be encoded`);
  }
  parts.push(Uint8Array.of(acc, sts, cfg & 0xff, cfg >> 8));
  if (ext !== null) parts.push(Uint8Array.of(ext));
  parts.push(body);
  return { bytes: concatBytes(...parts), kMac };
}

/** K_MAC for an AFL MAC on a telegram that is not mode 7: KDF-A of the key (DC 01). */
function kdfMacKey(input: EncodeTelegramInput, meter: { a: Uint8Array } | null): CmacKey | null {
  const afl = input.afl;
  if (afl === undefined || input.key === undefined || meter === null) return null;
  return new CmacKey(deriveMode7Keys(input.key, counterBytes(afl.counter), meter.a.subarray(0, 4)).kMac);
}

/** The AFL header(s) and TPDU part of each frame. */
function encodeAflFrames(afl: EncodeAfl, tpdu: Tpdu): Uint8Array[] {
  const authType = afl.authType ?? 5;
  const at = authTypeInfo(authType);
  if (at === undefined || (at[0] !== 'aes-cmac-128' && at[0] !== 'none'))
    fail(`AFL authentication type ${authType} cannot be encoded`);
  const withMac = authType !== 0;
  if (withMac && tpdu.kMac === null) fail('an AFL MAC needs the key');
  const keyInfo = afl.keyInfo;
  if (keyInfo !== undefined && (!Number.isInteger(keyInfo) || keyInfo < 0 || keyInfo > 0xffff))
    fail('AFL key info is 16 bits');
  const mcl = authType | MCL.counter | (keyInfo !== undefined ? MCL.keyInfo : 0) | (afl.includeLength ? MCL.length : 0);
  const mcr = counterBytes(afl.counter);
  const ml = afl.includeLength ? tpdu.bytes.length : null;
  if (ml !== null && ml > 0xffff) fail('message too long for AFL.ML');
  const fields: AflFields = {
    fcl: 0,
    fragmentId: 0,
    moreFragments: false,
    mcl,
    keyInfo: keyInfo ?? null,
    counter: afl.counter,
    counterBytes: mcr,
    mac: null,
    messageLength: ml,
  };
  const mac = withMac && tpdu.kMac !== null ? computeAflMac(fields, tpdu.bytes, tpdu.kMac) : null;

  const size = afl.fragmentSize;
  const chunks: Uint8Array[] = [];
  if (size === undefined || size >= tpdu.bytes.length) {
    chunks.push(tpdu.bytes);
  } else {
    if (!Number.isInteger(size) || size < 1) fail('fragmentSize must be a positive integer');
    for (let i = 0; i < tpdu.bytes.length; i += size) chunks.push(tpdu.bytes.subarray(i, i + size));
    if (chunks.length > 16) fail(`${chunks.length} fragments: at most 16`);
  }
  const fragmented = chunks.length > 1;
  return chunks.map((chunk, i) => {
    const first = i === 0;
    const last = i === chunks.length - 1;
    let fcl = fragmented ? i + 1 : 0;
    if (!last) fcl |= FCL.moreFragments;
    const f: Uint8Array[] = [];
    if (first) {
      fcl |= FCL.control | FCL.counter;
      f.push(Uint8Array.of(mcl));
      if (keyInfo !== undefined) {
        fcl |= FCL.keyInfo;
        f.push(Uint8Array.of(keyInfo & 0xff, keyInfo >> 8));
      }
      f.push(mcr);
    }
    // The MAC covers the whole message: it travels in the last fragment.
    if (last && mac !== null) {
      fcl |= FCL.mac;
      f.push(mac);
    }
    if (first && ml !== null) {
      fcl |= FCL.length;
      f.push(Uint8Array.of(ml & 0xff, ml >> 8));
    }
    const fieldBytes = concatBytes(...f);
    return concatBytes(Uint8Array.of(AFL_CI, 2 + fieldBytes.length, fcl & 0xff, fcl >> 8), fieldBytes, chunk);
  });
}

function encodeEll(
  ell: EncodeEll,
  rest: Uint8Array,
  dll: { m: Uint8Array; a: Uint8Array },
  key: Uint8Array | undefined,
  tplAccess: number | undefined,
): Uint8Array {
  const cc = byte(ell.cc, 'ELL CC', 0x20);
  const acc = byte(ell.accessNumber ?? tplAccess, 'ELL access number', 0);
  const parts: Uint8Array[] = [Uint8Array.of(ell.ci, cc, acc)];
  if (ell.ci === 0x8e || ell.ci === 0x8f) {
    if (ell.address === undefined) fail(`ELL ${ell.ci.toString(16)} needs an address (M2/A2)`);
    const a = addressBytes(ell.address);
    parts.push(a.m, a.a);
  } else if (ell.address !== undefined) {
    fail(`ELL ${ell.ci.toString(16)} has no address field`);
  }
  if (ell.ci === 0x8d || ell.ci === 0x8f) {
    const sn = ell.sessionNumber ?? 0;
    if (!Number.isInteger(sn) || sn < 0 || sn > 0x1fffffff)
      fail('ELL session number is 29 bits (encryption bits are set from "encrypt")');
    const full = sn + (ell.encrypt ? 0x20000000 : 0);
    const snBytes = Uint8Array.of(full & 0xff, (full >>> 8) & 0xff, (full >>> 16) & 0xff, (full >>> 24) & 0xff);
    parts.push(snBytes);
    const crc = crc16En13757(rest);
    let payload = concatBytes(Uint8Array.of(crc & 0xff, crc >> 8), rest);
    if (ell.encrypt) payload = aesCtr(requireKey(key, 16, 'ELL encryption'), ellIv(dll.m, dll.a, cc, snBytes), payload);
    parts.push(payload);
  } else {
    if (ell.encrypt) fail(`ELL ${ell.ci.toString(16)} cannot be encrypted (no session number)`);
    parts.push(rest);
  }
  return concatBytes(...parts);
}

function linkFrame(
  input: EncodeTelegramInput,
  dll: { m: Uint8Array; a: Uint8Array } | null,
  payload: Uint8Array,
): Uint8Array {
  if (input.format === 'wired') {
    const c = byte(input.cField, 'C field', 0x08);
    const a = byte(input.primaryAddress, 'primary address', 0xfd);
    const l = 2 + payload.length;
    if (l > 255) fail(`wired frame too long (L = ${l})`);
    // EN 13757-2 §5.4: L = 3 (C, A, CI only) is a control frame, which carries no user data.
    if (l <= 3) fail('a wired long frame needs user data after the CI field (L = 3 is a control frame)');
    const out = new Uint8Array(l + 6);
    out.set([0x68, l, l, 0x68, c, a]);
    out.set(payload, 6);
    let sum = 0;
    for (let i = 4; i < 4 + l; i++) sum = (sum + (out[i] as number)) & 0xff;
    out[4 + l] = sum;
    out[5 + l] = 0x16;
    return out;
  }
  if (dll === null) fail('a wireless frame needs the link-layer address');
  const c = byte(input.cField, 'C field', 0x44);
  const l = 9 + payload.length;
  if (l > 255) fail(`frame too long (L = ${l})`);
  const plain = concatBytes(Uint8Array.of(l, c), dll.m, dll.a, payload);
  if (input.format === 'A') return addCrcsFormatA(plain);
  if (input.format === 'B') return addCrcsFormatB(plain);
  return plain;
}

/** Encodes a telegram into one frame per AFL fragment (one frame when not fragmented). */
export function encodeTelegramFrames(input: EncodeTelegramInput): Uint8Array[] {
  const wired = input.format === 'wired';
  if (wired && input.ell) fail('a wired frame has no extended link layer');
  if (wired && input.address) fail('a wired frame carries its address in a long transport header (tpl.address)');
  if (!wired && input.address === undefined) fail('a wireless frame needs address');
  const dll = input.address ? addressBytes(input.address) : null;
  const tpdu = encodeTpdu(input, dll);
  const afterEll = input.afl ? encodeAflFrames(input.afl, tpdu) : [tpdu.bytes];
  return afterEll.map((part) => {
    const payload = input.ell && dll ? encodeEll(input.ell, part, dll, input.key, input.tpl.accessNumber) : part;
    return linkFrame(input, dll, payload);
  });
}

/** Encodes a telegram into one frame (throws when the AFL would fragment it). */
export function encodeTelegram(input: EncodeTelegramInput): Uint8Array {
  const frames = encodeTelegramFrames(input);
  if (frames.length !== 1) fail(`the telegram needs ${frames.length} fragments: use encodeTelegramFrames`);
  return frames[0] as Uint8Array;
}
