/**
 * The sealed keystore file of the software security module (spec notes §13: "secure storage of
 * keys and certificates"): every slot's private key (PKCS#8 DER), curve, certificate and creation
 * time, encrypted and authenticated with AES-256-GCM under a key derived from a PIN (scrypt) or a
 * key file (HKDF-SHA256).
 *
 * Byte layout, version 1 (all integers big-endian; the whole header is the GCM AAD):
 *
 * | offset  | size | field                                                              |
 * |---------|------|--------------------------------------------------------------------|
 * | 0       | 6    | magic `SMGWKS`                                                     |
 * | 6       | 1    | version = 1                                                        |
 * | 7       | 1    | KDF id: 1 = scrypt (PIN), 2 = HKDF-SHA256 (key file)               |
 * | 8       | k    | KDF parameters: scrypt 3 bytes (log2 N, r, p); HKDF none (k = 0)   |
 * | 8+k     | 16   | salt                                                               |
 * | 24+k    | 16   | key-check value: HMAC-SHA256(check key, KEY_CHECK_LABEL), first 16 |
 * | 40+k    | 12   | AES-GCM nonce                                                      |
 * | 52+k    | 4    | ciphertext length n                                                |
 * | 56+k    | 8    | header digest: SHA-256 of bytes 0 .. 56+k, first 8                 |
 * | 64+k    | n    | ciphertext                                                         |
 * | 64+k+n  | 16   | GCM tag                                                            |
 *
 * The KDF yields 64 bytes: the first 32 are the AES-256 key, the last 32 the check key. The two
 * checks tell the failures apart as far as that is possible: a header digest mismatch (or bad
 * magic, version, KDF, lengths) is SMGW_SM_KEYSTORE_CORRUPT; a key-check mismatch is
 * SMGW_SM_WRONG_PIN (a wrong PIN or key file, or a deliberately rewritten salt/KDF/check value
 * with a recomputed digest, which no check without the secret can tell from a wrong PIN); a GCM
 * tag failure after a matching check value is SMGW_SM_KEYSTORE_CORRUPT (the ciphertext, tag or
 * header was altered). The digest only catches accidents; the GCM tag over header and
 * ciphertext is what authenticates.
 *
 * Plaintext (contents), version 1: u16 slot count, then per slot: u8 name length, name (ASCII,
 * SLOT_NAME_PATTERN), u8 curve name length, curve name, u64 created-at (ms since the epoch),
 * u16 PKCS#8 length, PKCS#8 DER, u32 certificate length (0: none), certificate DER.
 *
 * Sans-I/O except for the two file functions at the end, which read and atomically replace a
 * keystore file. Randomness (salt, nonce) comes from an injectable source. Derived keys and
 * plaintext buffers are zeroised after use (TR-03116-3 §3.1 asks that of ephemeral secrets; we
 * treat the keystore plaintext the same way). JS strings cannot be wiped, which is why the PIN
 * is turned into bytes once and those are wiped.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ByteReader, timingSafeEqualBytes, zeroize } from '@opensmgw/core';
import { replaceFileAtomically } from '../atomic-file.js';
import { type CurveName, isCurveName } from '../curves.js';
import { SecurityModuleError } from '../errors.js';
import { SLOT_NAME_PATTERN } from './security-module.js';

export const KEYSTORE_MAGIC = 'SMGWKS';
export const KEYSTORE_VERSION = 1;
export const KDF_SCRYPT = 1;
export const KDF_HKDF_SHA256 = 2;

/** scrypt parameters (RFC 7914). */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Production default for PINs: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s here), the scrypt
 * setting RFC 7914 and OWASP name for interactive logins. Tests pass cheaper parameters through
 * the `kdf` option; a keystore records its own parameters, so either opens with the same code.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/**
 * Bounds for parameters read from a file (a hostile header must not make us allocate gigabytes
 * or spin for minutes): memory 128·N·r at most 128 MiB (N = 2^17 at r = 8), work N·r·p at most
 * 2^21 (8x the default). The same bounds apply to parameters a caller asks for.
 */
const SCRYPT_MAX_MEMORY = 128 * 1024 * 1024;
const SCRYPT_MAX_WORK = 2 ** 21;

/** Key files shorter than this are refused: HKDF is only sound for a high-entropy secret. */
export const MIN_KEY_FILE_BYTES = 32;
/** Refuse to read anything larger: a keystore holds a handful of keys and certificates. */
export const MAX_KEYSTORE_BYTES = 16 * 1024 * 1024;

const MAGIC = Buffer.from(KEYSTORE_MAGIC, 'ascii');
const SALT_BYTES = 16;
const CHECK_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DIGEST_BYTES = 8;
const KEY_CHECK_LABEL = Buffer.from('OpenSMGW keystore key check v1', 'ascii');
const HKDF_INFO = Buffer.from('OpenSMGW keystore v1', 'ascii');

/**
 * What opens a keystore. A PIN may be any non-empty string; TR-03116-3 asks PACE PINs to have at
 * least 10 decimal digits (spec notes §3.9), and a deployment should use at least that, but
 * this module does not enforce it (test set-ups use short PINs). PINs are NFC-normalised UTF-8.
 * A key file is raw bytes (at least 32, e.g. `head -c 32 /dev/urandom`).
 */
export type KeystoreSecret = { readonly pin: string } | { readonly keyFile: Uint8Array };

/** One slot as stored. */
export interface KeystoreSlot {
  readonly slot: string;
  readonly curve: CurveName;
  /** PKCS#8 DER of the private key. */
  readonly pkcs8: Uint8Array;
  readonly certificate?: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface KeystoreContents {
  readonly slots: readonly KeystoreSlot[];
}

export type RandomSource = (length: number) => Uint8Array;
const defaultRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

function corrupt(message: string, cause?: unknown): SecurityModuleError {
  return new SecurityModuleError(
    'SMGW_SM_KEYSTORE_CORRUPT',
    `keystore: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function badArgument(message: string): SecurityModuleError {
  return new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `keystore: ${message}`);
}

/** The parsed KDF part of a header. */
type Kdf = { readonly id: typeof KDF_SCRYPT; readonly params: ScryptParams } | { readonly id: typeof KDF_HKDF_SHA256 };

function checkScrypt(params: ScryptParams, fail: (m: string) => SecurityModuleError): ScryptParams {
  const { N, r, p } = params;
  const log = Math.log2(N);
  if (!Number.isInteger(log) || log < 1 || log > 30) throw fail(`scrypt N=${N} is not a power of two in 2..2^30`);
  if (!Number.isInteger(r) || r < 1 || r > 255) throw fail(`scrypt r=${r} outside 1..255`);
  if (!Number.isInteger(p) || p < 1 || p > 255) throw fail(`scrypt p=${p} outside 1..255`);
  if (128 * N * r > SCRYPT_MAX_MEMORY || N * r * p > SCRYPT_MAX_WORK) {
    throw fail(`scrypt N=${N} r=${r} p=${p} exceeds the accepted cost`);
  }
  return { N, r, p };
}

function secretBytes(secret: KeystoreSecret): Uint8Array {
  if (secret === null || typeof secret !== 'object') throw badArgument('a PIN or a key file is needed');
  if ('pin' in secret) {
    if (typeof secret.pin !== 'string' || secret.pin.length === 0) throw badArgument('the PIN is empty');
    return new Uint8Array(Buffer.from(secret.pin.normalize('NFC'), 'utf8'));
  }
  if ('keyFile' in secret) {
    if (!(secret.keyFile instanceof Uint8Array) || secret.keyFile.length < MIN_KEY_FILE_BYTES) {
      throw badArgument(`a key file must hold at least ${MIN_KEY_FILE_BYTES} bytes`);
    }
    return Uint8Array.from(secret.keyFile);
  }
  throw badArgument('a PIN or a key file is needed');
}

/**
 * The keys derived from a secret for one keystore (one salt and KDF setting). Deriving costs one
 * scrypt run; a module keeps this while open and seals every change under it with a fresh nonce
 * (random 96-bit nonces under one key are sound far beyond the saves a keystore sees).
 */
export class KeystoreKey {
  readonly #kdf: Kdf;
  readonly #salt: Uint8Array;
  #encKey: Uint8Array;
  #checkValue: Uint8Array;

  private constructor(kdf: Kdf, salt: Uint8Array, derived: Uint8Array) {
    this.#kdf = kdf;
    this.#salt = salt;
    this.#encKey = derived.slice(0, 32);
    const checkKey = derived.slice(32, 64);
    zeroize(derived);
    this.#checkValue = new Uint8Array(createHmac('sha256', checkKey).update(KEY_CHECK_LABEL).digest()).slice(
      0,
      CHECK_BYTES,
    );
    zeroize(checkKey);
  }

  /** Derives the keys for `secret` with the given KDF and salt. */
  static derive(secret: KeystoreSecret, kdf: Kdf, salt: Uint8Array): KeystoreKey {
    const input = secretBytes(secret);
    try {
      let derived: Uint8Array;
      if (kdf.id === KDF_SCRYPT) {
        const { N, r, p } = kdf.params;
        derived = new Uint8Array(scryptSync(input, salt, 64, { N, r, p, maxmem: 128 * N * r * 2 + 1024 * 1024 }));
      } else {
        derived = new Uint8Array(hkdfSync('sha256', input, salt, HKDF_INFO, 64));
      }
      return new KeystoreKey(kdf, Uint8Array.from(salt), derived);
    } finally {
      zeroize(input);
    }
  }

  /**
   * Keys for a new keystore: a fresh salt; scrypt for a PIN (with `scrypt` parameters, default
   * DEFAULT_SCRYPT), HKDF-SHA256 for a key file (a 32-byte random key needs no slow KDF).
   */
  static create(
    secret: KeystoreSecret,
    options: { readonly scrypt?: Partial<ScryptParams>; readonly random?: RandomSource } = {},
  ): KeystoreKey {
    const random = options.random ?? defaultRandom;
    const kdf: Kdf =
      secret && typeof secret === 'object' && 'keyFile' in secret
        ? { id: KDF_HKDF_SHA256 }
        : { id: KDF_SCRYPT, params: checkScrypt({ ...DEFAULT_SCRYPT, ...options.scrypt }, badArgument) };
    return KeystoreKey.derive(secret, kdf, random(SALT_BYTES));
  }

  /**
   * Keys for an existing keystore file: parses its header and derives. SMGW_SM_KEYSTORE_CORRUPT
   * if the header is not a keystore header; SMGW_SM_WRONG_PIN if the secret's check value differs.
   */
  static forFile(bytes: Uint8Array, secret: KeystoreSecret): KeystoreKey {
    const header = parseHeader(bytes);
    const key = KeystoreKey.derive(secret, header.kdf, header.salt);
    if (!timingSafeEqualBytes(key.#checkValue, header.checkValue)) {
      key.zeroize();
      throw new SecurityModuleError(
        'SMGW_SM_WRONG_PIN',
        'keystore: the PIN or key file does not open this keystore (or its key-derivation header was rewritten)',
      );
    }
    return key;
  }

  /** Seals `contents` with a fresh nonce. */
  seal(contents: KeystoreContents, random: RandomSource = defaultRandom): Uint8Array {
    this.#alive();
    const plaintext = encodeContents(contents);
    try {
      const nonce = random(NONCE_BYTES);
      if (nonce.length !== NONCE_BYTES) throw badArgument('the random source returned a short nonce');
      const kdfBytes = this.#kdf.id === KDF_SCRYPT ? kdfParamBytes(this.#kdf.params) : new Uint8Array(0);
      const header = new Uint8Array(64 + kdfBytes.length);
      header.set(MAGIC, 0);
      header[6] = KEYSTORE_VERSION;
      header[7] = this.#kdf.id;
      header.set(kdfBytes, 8);
      let o = 8 + kdfBytes.length;
      header.set(this.#salt, o);
      o += SALT_BYTES;
      header.set(this.#checkValue, o);
      o += CHECK_BYTES;
      header.set(nonce, o);
      o += NONCE_BYTES;
      new DataView(header.buffer).setUint32(o, plaintext.length);
      o += 4;
      header.set(createHash('sha256').update(header.subarray(0, o)).digest().subarray(0, DIGEST_BYTES), o);
      const cipher = createCipheriv('aes-256-gcm', this.#encKey, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(header);
      const body = cipher.update(plaintext);
      const final = cipher.final();
      const tag = cipher.getAuthTag();
      const out = new Uint8Array(header.length + plaintext.length + TAG_BYTES);
      out.set(header, 0);
      out.set(body, header.length);
      out.set(final, header.length + body.length);
      out.set(tag, header.length + plaintext.length);
      return out;
    } finally {
      zeroize(plaintext);
    }
  }

  /**
   * Opens a keystore sealed under this key (same salt and KDF). SMGW_SM_KEYSTORE_CORRUPT if the
   * header is bad or the tag fails; SMGW_SM_WRONG_PIN if the file belongs to another secret.
   */
  open(bytes: Uint8Array): KeystoreContents {
    this.#alive();
    const header = parseHeader(bytes);
    if (
      header.kdf.id !== this.#kdf.id ||
      !timingSafeEqualBytes(header.salt, this.#salt) ||
      !timingSafeEqualBytes(header.checkValue, this.#checkValue)
    ) {
      throw new SecurityModuleError('SMGW_SM_WRONG_PIN', 'keystore: sealed under another PIN, key file or salt');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#encKey, header.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(header.aad);
    decipher.setAuthTag(header.tag);
    const body = new Uint8Array(decipher.update(header.ciphertext));
    try {
      decipher.final();
    } catch (e) {
      zeroize(body);
      throw corrupt('the authentication tag does not match: the file was altered', e);
    }
    try {
      return decodeContents(body);
    } finally {
      zeroize(body);
    }
  }

  /** Overwrites the derived keys; the object is unusable afterwards. */
  zeroize(): void {
    zeroize(this.#encKey);
    zeroize(this.#checkValue);
    this.#encKey = new Uint8Array(0);
  }

  #alive(): void {
    if (this.#encKey.length === 0) throw new SecurityModuleError('SMGW_SM_CLOSED', 'keystore key was zeroised');
  }
}

function kdfParamBytes(params: ScryptParams): Uint8Array {
  return Uint8Array.of(Math.log2(params.N), params.r, params.p);
}

interface ParsedHeader {
  readonly kdf: Kdf;
  readonly salt: Uint8Array;
  readonly checkValue: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

function parseHeader(bytes: Uint8Array): ParsedHeader {
  if (!(bytes instanceof Uint8Array)) throw corrupt('not bytes');
  const r = new ByteReader(bytes, {
    onTruncated: (need, offset) => corrupt(`truncated: need ${need} byte(s) at offset ${offset}`),
  });
  if (bytes.length < MAGIC.length || !timingSafeEqualBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw corrupt('not a keystore (no SMGWKS magic)');
  }
  r.skip(MAGIC.length);
  const version = r.u8();
  if (version !== KEYSTORE_VERSION) throw corrupt(`unsupported version ${version}`);
  const kdfId = r.u8();
  let kdf: Kdf;
  if (kdfId === KDF_SCRYPT) {
    const logN = r.u8();
    const params = { N: 2 ** logN, r: r.u8(), p: r.u8() };
    kdf = { id: KDF_SCRYPT, params: checkScrypt(params, (m) => corrupt(m)) };
  } else if (kdfId === KDF_HKDF_SHA256) {
    kdf = { id: KDF_HKDF_SHA256 };
  } else {
    throw corrupt(`unknown KDF id ${kdfId}`);
  }
  const salt = r.bytes(SALT_BYTES);
  const checkValue = r.bytes(CHECK_BYTES);
  const nonce = r.bytes(NONCE_BYTES);
  const length = r.u16be() * 0x10000 + r.u16be();
  const digestAt = r.offset;
  const digest = r.bytes(DIGEST_BYTES);
  const expected = createHash('sha256').update(bytes.subarray(0, digestAt)).digest().subarray(0, DIGEST_BYTES);
  if (!timingSafeEqualBytes(digest, expected)) throw corrupt('header digest mismatch: the header was damaged');
  const aad = bytes.subarray(0, r.offset);
  if (r.remaining !== length + TAG_BYTES) {
    throw corrupt(`length mismatch: header says ${length} + ${TAG_BYTES} bytes, file has ${r.remaining}`);
  }
  const ciphertext = r.bytes(length);
  const tag = r.bytes(TAG_BYTES);
  return { kdf, salt, checkValue, nonce, aad, ciphertext, tag };
}

/** Reads the KDF recorded in a keystore header (for `smgw` diagnostics and tests). */
export function keystoreKdf(
  bytes: Uint8Array,
): { readonly kdf: 'scrypt'; readonly params: ScryptParams } | { readonly kdf: 'hkdf-sha256' } {
  const h = parseHeader(bytes);
  return h.kdf.id === KDF_SCRYPT ? { kdf: 'scrypt', params: h.kdf.params } : { kdf: 'hkdf-sha256' };
}

function encodeContents(contents: KeystoreContents): Uint8Array {
  const slots = contents.slots;
  if (slots.length > 0xffff) throw badArgument('too many slots');
  let size = 2;
  for (const s of slots) {
    if (!SLOT_NAME_PATTERN.test(s.slot) || !isCurveName(s.curve)) throw badArgument(`bad slot ${s.slot}`);
    if (s.pkcs8.length > 0xffff) throw badArgument('PKCS#8 too long');
    if (!Number.isSafeInteger(s.createdAt) || s.createdAt < 0) throw badArgument('bad created-at time');
    size += 1 + s.slot.length + 1 + s.curve.length + 8 + 2 + s.pkcs8.length + 4 + (s.certificate?.length ?? 0);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint16(o, slots.length);
  o += 2;
  for (const s of slots) {
    out[o++] = s.slot.length;
    out.set(Buffer.from(s.slot, 'ascii'), o);
    o += s.slot.length;
    out[o++] = s.curve.length;
    out.set(Buffer.from(s.curve, 'ascii'), o);
    o += s.curve.length;
    view.setBigUint64(o, BigInt(s.createdAt));
    o += 8;
    view.setUint16(o, s.pkcs8.length);
    out.set(s.pkcs8, o + 2);
    o += 2 + s.pkcs8.length;
    const cert = s.certificate ?? new Uint8Array(0);
    view.setUint32(o, cert.length);
    out.set(cert, o + 4);
    o += 4 + cert.length;
  }
  return out;
}

/** Decodes authenticated plaintext; the returned PKCS#8 buffers are copies the caller must wipe. */
function decodeContents(body: Uint8Array): KeystoreContents {
  const r = new ByteReader(body, { onTruncated: () => corrupt('contents truncated') });
  const ascii = (n: number): string => Buffer.from(r.bytes(n)).toString('latin1');
  const count = r.u16be();
  const slots: KeystoreSlot[] = [];
  const names = new Set<string>();
  try {
    for (let i = 0; i < count; i++) {
      const slot = ascii(r.u8());
      if (!SLOT_NAME_PATTERN.test(slot) || names.has(slot)) throw corrupt(`bad or repeated slot name in contents`);
      names.add(slot);
      const curve = ascii(r.u8());
      if (!isCurveName(curve)) throw corrupt(`unknown curve in slot ${slot}`);
      const createdAt = r.u16be() * 2 ** 48 + r.u16be() * 2 ** 32 + r.u16be() * 2 ** 16 + r.u16be();
      const pkcs8 = Uint8Array.from(r.bytes(r.u16be()));
      const certLength = r.u16be() * 0x10000 + r.u16be();
      const cert = certLength > 0 ? Uint8Array.from(r.bytes(certLength)) : undefined;
      slots.push(cert ? { slot, curve, pkcs8, certificate: cert, createdAt } : { slot, curve, pkcs8, createdAt });
    }
    if (!r.atEnd) throw corrupt('trailing bytes after the contents');
  } catch (e) {
    for (const s of slots) zeroize(s.pkcs8);
    throw e;
  }
  return { slots };
}

/**
 * One-shot seal: derives keys for a new keystore and seals `contents`. For repeated saves keep a
 * `KeystoreKey` instead (one KDF run per open, not per save).
 */
export function sealKeystore(
  contents: KeystoreContents,
  secret: KeystoreSecret,
  options: { readonly scrypt?: Partial<ScryptParams>; readonly random?: RandomSource } = {},
): Uint8Array {
  const key = KeystoreKey.create(secret, options);
  try {
    return key.seal(contents, options.random);
  } finally {
    key.zeroize();
  }
}

/** One-shot open. The caller owns (and should wipe) the returned PKCS#8 buffers. */
export function openKeystore(bytes: Uint8Array, secret: KeystoreSecret): KeystoreContents {
  const key = KeystoreKey.forFile(bytes, secret);
  try {
    return key.open(bytes);
  } finally {
    key.zeroize();
  }
}

// ---- I/O at the edge --------------------------------------------------------------------------

function ioError(what: string, path: string, cause: unknown): SecurityModuleError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new SecurityModuleError(
    'SMGW_SM_BACKEND',
    `keystore: cannot ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`,
    { cause, detail: { path } },
  );
}

/** True if a file (of any kind) exists at `path`. */
export async function keystoreFileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return false;
    throw ioError('stat', path, e);
  }
}

/** Reads a keystore file (at most MAX_KEYSTORE_BYTES). SMGW_SM_BACKEND if it cannot be read. */
export async function readKeystoreFile(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw ioError('read', path, e);
  }
  if (size > MAX_KEYSTORE_BYTES) throw corrupt(`${path} is larger than ${MAX_KEYSTORE_BYTES} bytes`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw ioError('read', path, e);
  }
}

/**
 * Replaces the file at `path` atomically with mode 0600 (atomic-file.ts: temporary file in the
 * same directory, fsync, rename, directory fsync). If anything fails the temporary file is
 * removed and the existing file is untouched; the error is SMGW_SM_BACKEND.
 */
export async function writeKeystoreFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await replaceFileAtomically(path, bytes, 0o600);
  } catch (e) {
    throw ioError('write', path, e);
  }
}
