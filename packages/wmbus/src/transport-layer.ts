/**
 * Transport layer (EN 13757-7:2018 §7, EN 13757-3 Table 2, OMS Vol.2 §7.4): CI field, no/short/long
 * header, configuration field, and the security modes that protect the application layer.
 *
 * Short header: ACC | STS | CFG (2) [| CFG-ext]. Long header: ID (4) | M (2) | version | device type
 * followed by the short header. The long header names the meter itself; a radio converter or a
 * wired M-Bus frame carries another (or no) address in its link layer.
 *
 * Configuration field (little endian), EN 13757-7 Tables 19/20:
 *   bit 15 B bidirectional, 14 A accessibility, 13 S synchronous, 12–8 security mode,
 *   for modes 5 and 7: 7–4 N encrypted 16-byte blocks, 3–2 content, 1 R repeated access, 0 H hop;
 *   for modes 2/3 (DES): 7–0 number of encrypted bytes.
 * Mode 7 adds a configuration extension byte: bits 5–4 KDF selection (1 = KDF-A), 3–0 key id.
 *
 * Security modes handled here (EN 13757-7 Table 18):
 *   0 none; 5 AES-128-CBC, IV from M/A/access number, static key; 7 AES-128-CBC, IV = 0, keys
 *   from KDF-A with the AFL counter, MAC checked first; 2 DES-CBC IV = 0 (deprecated, still seen);
 *   13 TLS (OMS profile C) recognised and reported unsupported; 1 and 16–31 manufacturer specific:
 *   passed on undecrypted for drivers; all others unsupported.
 * Every decryption is checked by the 2F2F bytes that start the plaintext.
 */
import { reversed, toHex } from '@opensmgw/core';
import { type AflFields, verifyAflMac } from './afl.js';
import { truncated, WmbusError } from './errors.js';
import type { Explain } from './explain.js';
import { idToString, manufacturerFlag, mediumName } from './link-layer.js';
import { aesCbcDecrypt, CmacKey, deriveMode7Keys, desCbcDecrypt, type KeyCache, mode5Iv, zeroIv } from './security.js';

export type TplHeaderKind = 'none' | 'short' | 'long';

/** What the application layer after a CI field holds. */
export type TplContent =
  | 'records' /** EN 13757-3 data records */
  | 'compact' /** compact frame (format signature + data) */
  | 'format' /** format frame */
  | 'alarm'
  | 'error' /** application error */
  | 'cosem'
  | 'obis'
  | 'none' /** transport layer only (acknowledgement) */
  | 'other'
  | 'manufacturer'; /** manufacturer-specific CI A0–B7 */

export interface CiInfo {
  readonly header: TplHeaderKind;
  readonly content: TplContent;
  readonly name: string;
}

/**
 * CI fields of a transport layer (EN 13757-3:2018 Table 2, EN 13757-7 Table 2, OMS Vol.2 Table 5),
 * as data. ELL (8C–8F, 86), AFL (90) and NWL (81) are layers of their own.
 */
const CI_TABLE: Readonly<Record<number, CiInfo>> = {
  80: { header: 'none', content: 'other', name: 'application reset or select to device' },
  81: { header: 'none', content: 'records', name: 'command to device' },
  82: { header: 'none', content: 'other', name: 'selection of device' },
  83: { header: 'long', content: 'other', name: 'application reset or select to device' },
  84: { header: 'none', content: 'other', name: 'request of selected application to device' },
  85: { header: 'long', content: 'other', name: 'request of selected application to device' },
  90: { header: 'short', content: 'records', name: 'command to device' },
  91: { header: 'long', content: 'records', name: 'command to device' },
  92: { header: 'none', content: 'other', name: 'synchronise action' },
  96: { header: 'long', content: 'cosem', name: 'COSEM data to device' },
  97: { header: 'short', content: 'cosem', name: 'COSEM data to device' },
  100: { header: 'long', content: 'obis', name: 'OBIS data to device' },
  101: { header: 'short', content: 'obis', name: 'OBIS data to device' },
  102: { header: 'none', content: 'records', name: 'response of selected application' },
  103: { header: 'short', content: 'records', name: 'response of selected application' },
  104: { header: 'long', content: 'records', name: 'response of selected application' },
  105: { header: 'none', content: 'format', name: 'format frame' },
  106: { header: 'short', content: 'format', name: 'format frame' },
  107: { header: 'long', content: 'format', name: 'format frame' },
  108: { header: 'long', content: 'other', name: 'clock synchronisation (absolute)' },
  109: { header: 'long', content: 'other', name: 'clock synchronisation (relative)' },
  110: { header: 'short', content: 'error', name: 'application error' },
  111: { header: 'long', content: 'error', name: 'application error' },
  112: { header: 'none', content: 'error', name: 'application error' },
  113: { header: 'none', content: 'alarm', name: 'alarm' },
  114: { header: 'long', content: 'records', name: 'EN 13757-3 application layer' },
  115: { header: 'long', content: 'compact', name: 'compact frame' },
  116: { header: 'short', content: 'alarm', name: 'alarm' },
  117: { header: 'long', content: 'alarm', name: 'alarm' },
  120: { header: 'none', content: 'records', name: 'EN 13757-3 application layer' },
  121: { header: 'none', content: 'compact', name: 'compact frame' },
  122: { header: 'short', content: 'records', name: 'EN 13757-3 application layer' },
  123: { header: 'short', content: 'compact', name: 'compact frame' },
  124: { header: 'long', content: 'cosem', name: 'COSEM application layer' },
  125: { header: 'short', content: 'cosem', name: 'COSEM application layer' },
  126: { header: 'long', content: 'obis', name: 'OBIS application layer' },
  127: { header: 'short', content: 'obis', name: 'OBIS application layer' },
  128: { header: 'long', content: 'records', name: 'transport layer to device' },
  130: { header: 'short', content: 'other', name: 'network management to device' },
  131: { header: 'none', content: 'other', name: 'network management to device' },
  132: { header: 'long', content: 'compact', name: 'transport layer to device (compact frame)' },
  133: { header: 'long', content: 'format', name: 'transport layer to device (format frame)' },
  135: { header: 'long', content: 'other', name: 'network management from device' },
  136: { header: 'short', content: 'other', name: 'network management from device' },
  137: { header: 'none', content: 'other', name: 'network management from device' },
  138: { header: 'short', content: 'none', name: 'transport layer from device (no application data)' },
  139: { header: 'long', content: 'none', name: 'transport layer from device (no application data)' },
  192: { header: 'long', content: 'other', name: 'image transfer to device' },
  193: { header: 'short', content: 'other', name: 'image transfer from device' },
  194: { header: 'long', content: 'other', name: 'image transfer from device' },
  195: { header: 'long', content: 'other', name: 'security information transfer to device' },
  196: { header: 'short', content: 'other', name: 'security information transfer from device' },
  197: { header: 'long', content: 'other', name: 'security information transfer from device' },
};

const MANUFACTURER_CI: CiInfo = { header: 'none', content: 'manufacturer', name: 'manufacturer specific' };

/** The transport-layer meaning of a CI field, or undefined when it is not a TPL CI. */
export function ciInfo(ci: number): CiInfo | undefined {
  // EN 13757-3 Table 2: A0–B7 are manufacturer specific and have no standard header.
  if (ci >= 0xa0 && ci <= 0xb7) return MANUFACTURER_CI;
  return CI_TABLE[ci];
}

/** Security modes (EN 13757-7 Table 18), for messages. */
const SECURITY_MODE_NAMES: Readonly<Record<number, string>> = {
  0: 'no encryption',
  1: 'manufacturer specific',
  2: 'DES-CBC, IV = 0 (deprecated)',
  3: 'DES-CBC with IV (deprecated)',
  4: 'specific usage',
  5: 'AES-128-CBC with IV',
  6: 'reserved',
  7: 'AES-128-CBC, IV = 0, ephemeral keys',
  8: 'AES-128-CTR with CMAC',
  9: 'AES-128-GCM',
  10: 'AES-128-CCM',
  11: 'reserved',
  12: 'reserved',
  13: 'TLS (OMS security profile C)',
  14: 'reserved',
  15: 'specific usage',
};

export function securityModeName(mode: number): string {
  return SECURITY_MODE_NAMES[mode] ?? (mode >= 16 && mode <= 31 ? 'manufacturer specific' : 'unknown');
}

export function isManufacturerSpecificMode(mode: number): boolean {
  return mode === 1 || (mode >= 16 && mode <= 31);
}

export interface TplLongAddress {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly mField: number;
  readonly manufacturer: string;
  readonly version: number;
  readonly deviceType: number;
  readonly medium: string;
  /** M (2 bytes) and A (ID, version, device type: 6 bytes) as on the wire, for IVs. */
  readonly mBytes: Uint8Array;
  readonly aBytes: Uint8Array;
}

export interface TransportHeader {
  readonly ci: number;
  readonly kind: TplHeaderKind;
  readonly content: TplContent;
  readonly name: string;
  readonly long: TplLongAddress | null;
  readonly accessNumber: number | null;
  readonly status: number | null;
  /** The 16-bit configuration field; null without a short/long header. */
  readonly configuration: number | null;
  readonly configurationExtension: number | null;
  /** Security mode (configuration bits 8–12); 0 without a header. */
  readonly mode: number;
  /** Modes 5/7: N, the number of encrypted 16-byte blocks (0: the whole rest). Modes 2/3: bytes. */
  readonly encryptedCount: number;
  /** Mode 7: KDF selection (configuration extension bits 4–5). */
  readonly kdf: number | null;
  /** Header bytes, CI included. */
  readonly length: number;
}

export interface TplDecoded {
  readonly header: TransportHeader;
  /** The bytes after the header: the (possibly encrypted) application layer. */
  readonly body: Uint8Array;
}

function describeConfiguration(cfg: number, mode: number): string {
  const flags: string[] = [];
  if (cfg & 0x8000) flags.push('bidirectional');
  if (cfg & 0x4000) flags.push('accessible');
  if (cfg & 0x2000) flags.push('synchronous');
  let text = `configuration: mode ${mode} (${securityModeName(mode)})`;
  if (mode === 5 || mode === 7) text += `, ${(cfg >> 4) & 0x0f} encrypted block(s)`;
  if (mode === 2 || mode === 3) text += `, ${cfg & 0xff} encrypted byte(s)`;
  return flags.length > 0 ? `${text}, ${flags.join(', ')}` : text;
}

/** Decodes the CI field and the transport header; the body stays as it is (encrypted or not). */
export function decodeTransportHeader(bytes: Uint8Array, explain?: Explain, offset = 0): TplDecoded {
  if (bytes.length === 0) throw truncated('TPL', 1, offset, 0);
  const ci = bytes[0] as number;
  const info = ciInfo(ci);
  if (info === undefined) {
    throw new WmbusError(
      'SMGW_WMBUS_UNSUPPORTED',
      `CI field ${toHex(bytes.subarray(0, 1))} is not a known transport layer`,
      {
        detail: { ci },
      },
    );
  }
  explain?.push({
    layer: 'tpl',
    offset,
    hex: toHex(bytes.subarray(0, 1)),
    text: `CI ${toHex(bytes.subarray(0, 1))}: ${info.name} (${info.header} header)`,
  });
  let p = 1;
  let long: TplLongAddress | null = null;
  if (info.header === 'long') {
    if (bytes.length < p + 8) throw truncated('TPL long header', 8, offset + p, bytes.length - p);
    const idBytes = Uint8Array.prototype.slice.call(bytes, 1, 5);
    const mBytes = Uint8Array.prototype.slice.call(bytes, 5, 7);
    const m = (mBytes[0] as number) | ((mBytes[1] as number) << 8);
    const version = bytes[7] as number;
    const deviceType = bytes[8] as number;
    const aBytes = new Uint8Array(6);
    aBytes.set(idBytes, 0);
    aBytes[4] = version;
    aBytes[5] = deviceType;
    long = {
      id: idToString(idBytes),
      idBytes,
      mField: m,
      manufacturer: manufacturerFlag(m),
      version,
      deviceType,
      medium: mediumName(deviceType),
      mBytes,
      aBytes,
    };
    explain?.push(
      { layer: 'tpl', offset: offset + 1, hex: toHex(idBytes), text: `identification number ${long.id}` },
      { layer: 'tpl', offset: offset + 5, hex: toHex(mBytes), text: `M field ${long.manufacturer}` },
      { layer: 'tpl', offset: offset + 7, hex: toHex(bytes.subarray(7, 8)), text: `version ${version}` },
      {
        layer: 'tpl',
        offset: offset + 8,
        hex: toHex(bytes.subarray(8, 9)),
        text: `device type ${deviceType} (${long.medium})`,
      },
    );
    p = 9;
  }
  if (info.header === 'none') {
    return {
      header: {
        ci,
        kind: 'none',
        content: info.content,
        name: info.name,
        long: null,
        accessNumber: null,
        status: null,
        configuration: null,
        configurationExtension: null,
        mode: 0,
        encryptedCount: 0,
        kdf: null,
        length: 1,
      },
      body: bytes.subarray(1),
    };
  }
  if (bytes.length < p + 4) throw truncated('TPL header', 4, offset + p, bytes.length - p);
  const acc = bytes[p] as number;
  const sts = bytes[p + 1] as number;
  const cfg = (bytes[p + 2] as number) | ((bytes[p + 3] as number) << 8);
  const mode = (cfg >> 8) & 0x1f;
  explain?.push(
    { layer: 'tpl', offset: offset + p, hex: toHex(bytes.subarray(p, p + 1)), text: `access number ${acc}` },
    {
      layer: 'tpl',
      offset: offset + p + 1,
      hex: toHex(bytes.subarray(p + 1, p + 2)),
      text: `status ${sts === 0 ? 'OK' : `0x${sts.toString(16).padStart(2, '0')}`}`,
    },
    {
      layer: 'tpl',
      offset: offset + p + 2,
      hex: toHex(bytes.subarray(p + 2, p + 4)),
      text: describeConfiguration(cfg, mode),
    },
  );
  p += 4;
  let ext: number | null = null;
  let kdf: number | null = null;
  if (mode === 7) {
    if (bytes.length < p + 1) throw truncated('TPL configuration extension', 1, offset + p, 0);
    ext = bytes[p] as number;
    kdf = (ext >> 4) & 0x03;
    explain?.push({
      layer: 'tpl',
      offset: offset + p,
      hex: toHex(bytes.subarray(p, p + 1)),
      text: `configuration extension: KDF selection ${kdf}${kdf === 1 ? ' (KDF-A)' : kdf === 0 ? ' (persistent key)' : ' (reserved)'}, key id ${ext & 0x0f}`,
    });
    p += 1;
  }
  const encryptedCount = mode === 2 || mode === 3 ? cfg & 0xff : (cfg >> 4) & 0x0f;
  return {
    header: {
      ci,
      kind: info.header,
      content: info.content,
      name: info.name,
      long,
      accessNumber: acc,
      status: sts,
      configuration: cfg,
      configurationExtension: ext,
      mode,
      encryptedCount,
      kdf,
      length: p,
    },
    body: bytes.subarray(p),
  };
}

export type MacStatus = 'verified' | 'absent' | 'failed';

export interface SecurityContext {
  readonly key: Uint8Array | null;
  readonly simulatedPlaintext: boolean;
  /** The meter's M (2) and A (6) fields: the long header's, else the link layer's (null for wired). */
  readonly mBytes: Uint8Array | null;
  readonly aBytes: Uint8Array | null;
  /** The AFL of the message (merged over fragments), if any. */
  readonly afl: AflFields | null;
  /** The TPDU as received: TPL CI field to the last byte (the MAC covers it). */
  readonly tpdu: Uint8Array;
  /** Cipher objects of long-lived keys (kept by `DecoderState`). */
  readonly keyCache?: KeyCache | undefined;
  /** Where the body starts in the explain offsets. */
  readonly bodyOffset?: number;
}

export interface SecurityResult {
  readonly mode: number;
  /** The application layer in plain text (for encrypted modes it starts with 2F2F). */
  readonly apl: Uint8Array;
  /** True when this decoder decrypted the application layer with a key. */
  readonly decrypted: boolean;
  readonly mac: MacStatus;
  /** Modes 1 and 16–31: the body is passed on as received, for a driver. */
  readonly manufacturerSpecific: boolean;
}

function startsWith2F2F(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x2f && b[1] === 0x2f;
}

/** How many body bytes are encrypted: N blocks of 16 (N = 0: the whole body), whole blocks only. */
function encryptedLength(body: Uint8Array, n: number, block: number): number {
  // Quirk (as wmbusmeters): a body shorter than N blocks, or N = 0, decrypts the whole blocks
  // that are there; the 2F2F check still guards the result.
  const want = n === 0 ? body.length : n * block;
  return Math.floor(Math.min(want, body.length) / block) * block;
}

function wrongKey(mode: number, what: string, reversedWorks: boolean): WmbusError {
  const hint = reversedWorks
    ? '; the byte-reversed key decrypts it: enter the key with its bytes in reverse order'
    : '';
  return new WmbusError('SMGW_WMBUS_DECRYPT', `security mode ${mode}: ${what}: wrong key${hint}`, {
    detail: { mode, reversedKeyWorks: reversedWorks },
  });
}

function noKey(mode: number): WmbusError {
  return new WmbusError(
    'SMGW_WMBUS_NO_KEY',
    `the telegram is encrypted (security mode ${mode}, ${securityModeName(mode)}) and no key is known for this meter`,
    { detail: { mode } },
  );
}

function macWrong(reversedWorks: boolean): WmbusError {
  const hint = reversedWorks
    ? '; the byte-reversed key verifies it: enter the key with its bytes in reverse order'
    : '';
  return new WmbusError('SMGW_WMBUS_MAC', `AFL MAC wrong: wrong key, or counter/ID mismatch${hint}`, {
    detail: { reversedKeyWorks: reversedWorks },
  });
}

/** Accounts for the ciphertext, then for the plaintext it produced, then for a plain tail. */
function explainPlain(
  explain: Explain | undefined,
  offset: number,
  body: Uint8Array,
  apl: Uint8Array,
  decrypted: number,
  how: string,
): void {
  if (explain === undefined || decrypted === 0) return;
  explain.push({
    layer: 'tpl',
    offset,
    hex: toHex(body.subarray(0, decrypted)),
    text: `${decrypted} encrypted byte(s)`,
  });
  if (decrypted < body.length) {
    explain.push({
      layer: 'tpl',
      offset: offset + decrypted,
      hex: toHex(body.subarray(decrypted)),
      text: `${body.length - decrypted} byte(s) sent unencrypted after the encrypted blocks`,
    });
  }
  explain.push({
    layer: 'tpl',
    offset,
    hex: toHex(apl.subarray(0, decrypted)),
    text: `${decrypted} byte(s) ${how}; check bytes 2F2F OK`,
  });
}

function decryptMode5(header: TransportHeader, body: Uint8Array, ctx: SecurityContext, key: Uint8Array): Uint8Array {
  if (ctx.mBytes === null || ctx.aBytes === null) {
    throw new WmbusError(
      'SMGW_WMBUS_MALFORMED',
      'security mode 5 needs the meter address for its IV, and this frame has none',
    );
  }
  const n = encryptedLength(body, header.encryptedCount, 16);
  if (n === 0) throw truncated('TPL mode 5', 16, ctx.bodyOffset ?? 0, body.length);
  const iv = mode5Iv(ctx.mBytes, ctx.aBytes, header.accessNumber ?? 0);
  const attempt = (k: Uint8Array, cache?: KeyCache): Uint8Array => {
    const plain =
      cache && k.length === 16
        ? cache.get(k).cbcDecrypt(iv, body.subarray(0, n))
        : aesCbcDecrypt(k, iv, body.subarray(0, n));
    if (n === body.length) return plain;
    const out = new Uint8Array(body.length);
    out.set(plain, 0);
    out.set(body.subarray(n), n);
    return out;
  };
  const apl = attempt(key, ctx.keyCache);
  if (!startsWith2F2F(apl)) {
    const rev = key.length === 16 && startsWith2F2F(attempt(reversed(key)));
    throw wrongKey(5, 'decrypted data does not start with 2F2F', rev);
  }
  return apl;
}

function cmacKeyOf(key: Uint8Array, cache: KeyCache | undefined): CmacKey {
  return cache ? cache.get(key).cmac : new CmacKey(key);
}

function decryptMode7(
  header: TransportHeader,
  body: Uint8Array,
  ctx: SecurityContext,
  key: Uint8Array,
): { apl: Uint8Array; mac: MacStatus } {
  if (key.length !== 16) throw wrongKey(7, `AES-128 needs a 16-byte key, got ${key.length}`, false);
  const afl = ctx.afl;
  const keysFor = (master: Uint8Array): { kEnc: Uint8Array; kMac: CmacKey } => {
    if (header.kdf === 0) {
      // KDF selection 0: a persistent key, no derivation (EN 13757-7 §9.6); used for both.
      const mk = cmacKeyOf(master, ctx.keyCache);
      return { kEnc: master, kMac: mk };
    }
    if (afl === null || afl.counterBytes === null) {
      throw new WmbusError(
        'SMGW_WMBUS_MALFORMED',
        'security mode 7 with KDF-A needs the AFL message counter, and there is none',
      );
    }
    const id = ctx.aBytes === null ? null : ctx.aBytes.subarray(0, 4);
    if (id === null)
      throw new WmbusError(
        'SMGW_WMBUS_MALFORMED',
        'security mode 7 needs the meter ID for its KDF, and this frame has none',
      );
    const k = deriveMode7Keys(cmacKeyOf(master, ctx.keyCache), afl.counterBytes, id);
    return { kEnc: k.kEnc, kMac: new CmacKey(k.kMac) };
  };
  if (header.kdf !== 0 && header.kdf !== 1) {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', `security mode 7: KDF selection ${header.kdf} is reserved`);
  }
  const { kEnc, kMac } = keysFor(key);

  let mac: MacStatus = 'absent';
  if (afl !== null && afl.mac !== null) {
    // TR-03116-3 §7: verify the MAC before anything is decrypted.
    if (!verifyAflMac(afl, ctx.tpdu, kMac)) {
      const rk = reversed(key);
      const rev = verifyAflMac(afl, ctx.tpdu, keysFor(rk).kMac);
      throw macWrong(rev);
    }
    mac = 'verified';
  }
  const n = encryptedLength(body, header.encryptedCount, 16);
  if (n === 0) throw truncated('TPL mode 7', 16, ctx.bodyOffset ?? 0, body.length);
  const attempt = (k: Uint8Array): Uint8Array => {
    const out = new Uint8Array(body.length);
    out.set(aesCbcDecrypt(k, zeroIv(16), body.subarray(0, n)), 0);
    out.set(body.subarray(n), n);
    return out;
  };
  const apl = attempt(kEnc);
  if (!startsWith2F2F(apl)) {
    const rev = mac === 'absent' && startsWith2F2F(attempt(keysFor(reversed(key)).kEnc));
    throw wrongKey(7, 'decrypted data does not start with 2F2F', rev);
  }
  return { apl, mac };
}

function decryptMode2(header: TransportHeader, body: Uint8Array, key: Uint8Array): Uint8Array {
  const n = encryptedLength(body, header.encryptedCount, 8);
  if (n === 0) throw truncated('TPL mode 2', 8, 0, body.length);
  const out = new Uint8Array(body.length);
  out.set(desCbcDecrypt(key, zeroIv(8), body.subarray(0, n)), 0);
  out.set(body.subarray(n), n);
  if (!startsWith2F2F(out)) throw wrongKey(2, 'decrypted data does not start with 2F2F', false);
  return out;
}

/**
 * Applies the security mode of the transport header to its body: verifies the AFL MAC (mode 7)
 * before decrypting, decrypts, checks 2F2F. Throws NO_KEY, MAC, DECRYPT, UNSUPPORTED.
 */
export function decryptTransport(
  header: TransportHeader,
  body: Uint8Array,
  ctx: SecurityContext,
  explain?: Explain,
): SecurityResult {
  const mode = header.mode;
  const off = ctx.bodyOffset ?? 0;
  const plain = (mac: MacStatus = 'absent'): SecurityResult => ({
    mode,
    apl: body,
    decrypted: false,
    mac,
    manufacturerSpecific: false,
  });
  if (mode === 0) return plain();
  if (isManufacturerSpecificMode(mode)) {
    explain?.push({
      layer: 'tpl',
      offset: off,
      hex: '',
      text: `security mode ${mode} is manufacturer specific: the body is passed on as received`,
    });
    return { mode, apl: body, decrypted: false, mac: 'absent', manufacturerSpecific: true };
  }
  if (mode === 13) {
    throw new WmbusError(
      'SMGW_WMBUS_UNSUPPORTED',
      'security mode 13 (TLS, OMS security profile C) recognised; its TLS transport is not supported yet',
      { detail: { mode } },
    );
  }
  if (mode !== 5 && mode !== 7 && mode !== 2) {
    throw new WmbusError(
      'SMGW_WMBUS_UNSUPPORTED',
      `security mode ${mode} (${securityModeName(mode)}) is not supported`,
      {
        detail: { mode },
      },
    );
  }
  if (ctx.key === null) {
    // Test-data convention only (the gateway never sets it): a telegram that claims encryption
    // but carries a plaintext starting with 2F2F is taken as plaintext when there is no key.
    if (ctx.simulatedPlaintext && startsWith2F2F(body)) return plain();
    throw noKey(mode);
  }
  if (mode === 5) {
    const apl = decryptMode5(header, body, ctx, ctx.key);
    explainPlain(
      explain,
      off,
      body,
      apl,
      encryptedLength(body, header.encryptedCount, 16),
      'decrypted (AES-128-CBC, mode 5)',
    );
    return { mode, apl, decrypted: true, mac: 'absent', manufacturerSpecific: false };
  }
  if (mode === 7) {
    const { apl, mac } = decryptMode7(header, body, ctx, ctx.key);
    explainPlain(
      explain,
      off,
      body,
      apl,
      encryptedLength(body, header.encryptedCount, 16),
      `decrypted (AES-128-CBC, mode 7${mac === 'verified' ? ', MAC verified first' : ''})`,
    );
    return { mode, apl, decrypted: true, mac, manufacturerSpecific: false };
  }
  const apl = decryptMode2(header, body, ctx.key);
  explainPlain(explain, off, body, apl, encryptedLength(body, header.encryptedCount, 8), 'decrypted (DES-CBC, mode 2)');
  return { mode, apl, decrypted: true, mac: 'absent', manufacturerSpecific: false };
}
