/**
 * The sealed keystore format (src/module/keystore.ts): layout, round trips, wrong secrets, every
 * header region tampered, hostile KDF parameters, the atomic file writer, and property tests
 * (random bytes and mutations give only SecurityModuleError). Tests use cheap scrypt parameters
 * through the `scrypt` option; production keeps DEFAULT_SCRYPT (one test checks it is recorded).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { bytesEqual, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { CURVE_NAMES } from '../src/curves.js';
import { SecurityModuleError, type SecurityModuleErrorCode } from '../src/errors.js';
import {
  DEFAULT_SCRYPT,
  type KeystoreContents,
  KeystoreKey,
  type KeystoreSecret,
  keystoreKdf,
  openKeystore,
  sealKeystore,
  writeKeystoreFile,
} from '../src/module/keystore.js';

const CHEAP = { N: 2 ** 4, r: 8, p: 1 };
const PIN: KeystoreSecret = { pin: '0123456789' };
const KEY_FILE: KeystoreSecret = { keyFile: new Uint8Array(randomBytes(32)) };

const contents: KeystoreContents = {
  slots: [
    {
      slot: 'wan-tls',
      curve: 'brainpoolP256r1',
      pkcs8: new Uint8Array(randomBytes(138)),
      createdAt: 1_700_000_000_000,
    },
    {
      slot: 'wan-sig',
      curve: 'P-384',
      pkcs8: new Uint8Array(randomBytes(185)),
      certificate: new Uint8Array(randomBytes(600)),
      createdAt: 0,
    },
  ],
};

function throwsCode(fn: () => unknown, code: SecurityModuleErrorCode, message?: string): void {
  assert.throws(
    fn,
    (e: unknown) => {
      assert.ok(e instanceof SecurityModuleError, `expected ${code}, got ${String(e)}`);
      assert.equal(e.code, code, `${message ?? ''}: expected ${code}, got ${e.code} (${e.message})`);
      return true;
    },
    message,
  );
}

function sameContents(a: KeystoreContents, b: KeystoreContents): void {
  assert.equal(a.slots.length, b.slots.length);
  a.slots.forEach((s, i) => {
    const t = b.slots[i]!;
    assert.equal(s.slot, t.slot);
    assert.equal(s.curve, t.curve);
    assert.equal(s.createdAt, t.createdAt);
    assert.ok(bytesEqual(s.pkcs8, t.pkcs8));
    assert.equal(s.certificate === undefined, t.certificate === undefined);
    if (s.certificate && t.certificate) assert.ok(bytesEqual(s.certificate, t.certificate));
  });
}

/** Header offsets for a keystore with `k` KDF parameter bytes (see the layout table). */
function regions(k: number, total: number) {
  return {
    magic: 0,
    version: 6,
    kdfId: 7,
    kdfParams: k > 0 ? 8 : undefined,
    salt: 8 + k,
    check: 24 + k,
    nonce: 40 + k,
    length: 52 + k,
    digest: 56 + k,
    ciphertext: 64 + k,
    ciphertextEnd: total - 17,
    tag: total - 16,
  };
}

/** Recomputes the header digest after a deliberate header change (what a forger would do). */
function fixDigest(bytes: Uint8Array, k: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out.set(
    createHash('sha256')
      .update(out.subarray(0, 56 + k))
      .digest()
      .subarray(0, 8),
    56 + k,
  );
  return out;
}

function flip(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = (out[at] as number) ^ mask;
  return out;
}

describe('keystore format', () => {
  it('round-trips contents under a PIN (scrypt) and under a key file (HKDF)', () => {
    for (const secret of [PIN, KEY_FILE]) {
      const sealed = sealKeystore(contents, secret, { scrypt: CHEAP });
      sameContents(openKeystore(sealed, secret), contents);
    }
    sameContents(openKeystore(sealKeystore({ slots: [] }, PIN, { scrypt: CHEAP }), PIN), { slots: [] });
  });

  it('lays out magic, version, KDF and lengths as documented', () => {
    const pinFile = sealKeystore(contents, PIN, { scrypt: CHEAP });
    const keyFile = sealKeystore(contents, KEY_FILE);
    assert.equal(Buffer.from(pinFile.subarray(0, 6)).toString('latin1'), 'SMGWKS');
    assert.equal(pinFile[6], 1, 'version');
    assert.equal(pinFile[7], 1, 'scrypt');
    assert.deepEqual([...pinFile.subarray(8, 11)], [4, 8, 1], 'log2 N, r, p');
    assert.equal(keyFile[7], 2, 'HKDF-SHA256 for key files');
    assert.deepEqual(keystoreKdf(pinFile), { kdf: 'scrypt', params: CHEAP });
    assert.deepEqual(keystoreKdf(keyFile), { kdf: 'hkdf-sha256' });
    for (const [file, k] of [
      [pinFile, 3],
      [keyFile, 0],
    ] as const) {
      const n = new DataView(file.buffer, file.byteOffset).getUint32(52 + k);
      assert.equal(file.length, 64 + k + n + 16, 'header + ciphertext + tag');
    }
  });

  it('records the production default scrypt N=2^15 r=8 p=1 when no parameters are given', () => {
    assert.deepEqual({ ...DEFAULT_SCRYPT }, { N: 32768, r: 8, p: 1 });
    const sealed = sealKeystore({ slots: [] }, PIN);
    assert.deepEqual(keystoreKdf(sealed), { kdf: 'scrypt', params: { N: 32768, r: 8, p: 1 } });
  });

  it('the plaintext does not appear in the file', () => {
    const sealed = Buffer.from(sealKeystore(contents, PIN, { scrypt: CHEAP }));
    for (const s of contents.slots) {
      assert.equal(sealed.indexOf(Buffer.from(s.pkcs8.subarray(0, 16))), -1);
      assert.equal(sealed.indexOf(Buffer.from(s.slot)), -1, 'slot names are encrypted too');
    }
  });

  it('a KeystoreKey seals each save with a fresh nonce under the same salt', () => {
    const key = KeystoreKey.create(PIN, { scrypt: CHEAP });
    const a = key.seal(contents);
    const b = key.seal(contents);
    assert.ok(bytesEqual(a.subarray(11, 27), b.subarray(11, 27)), 'same salt');
    assert.ok(!bytesEqual(a.subarray(43, 55), b.subarray(43, 55)), 'fresh nonce');
    assert.ok(!bytesEqual(a.subarray(67, 100), b.subarray(67, 100)), 'different ciphertext');
    sameContents(key.open(b), contents);
    sameContents(KeystoreKey.forFile(a, PIN).open(b), contents);
    key.zeroize();
    throwsCode(() => key.seal(contents), 'SMGW_SM_CLOSED');
  });

  it('is deterministic given the random source (sans-I/O)', () => {
    const fixed = (n: number) => new Uint8Array(n).fill(7);
    const a = sealKeystore(contents, PIN, { scrypt: CHEAP, random: fixed });
    const b = sealKeystore(contents, PIN, { scrypt: CHEAP, random: fixed });
    assert.ok(bytesEqual(a, b));
  });

  it('a wrong PIN or key file is SMGW_SM_WRONG_PIN', () => {
    const pinFile = sealKeystore(contents, PIN, { scrypt: CHEAP });
    const keyFile = sealKeystore(contents, KEY_FILE);
    throwsCode(() => openKeystore(pinFile, { pin: '0123456788' }), 'SMGW_SM_WRONG_PIN');
    throwsCode(() => openKeystore(pinFile, KEY_FILE), 'SMGW_SM_WRONG_PIN');
    throwsCode(() => openKeystore(keyFile, { keyFile: new Uint8Array(randomBytes(32)) }), 'SMGW_SM_WRONG_PIN');
    throwsCode(() => openKeystore(keyFile, PIN), 'SMGW_SM_WRONG_PIN');
    const other = KeystoreKey.create(PIN, { scrypt: CHEAP });
    throwsCode(() => other.open(pinFile), 'SMGW_SM_WRONG_PIN', 'same PIN, other salt');
  });

  it('PINs are compared after NFC normalisation', () => {
    const sealed = sealKeystore({ slots: [] }, { pin: 'caf\u00e9-0123456789' }, { scrypt: CHEAP });
    openKeystore(sealed, { pin: 'cafe\u0301-0123456789' });
  });

  it('refuses an empty PIN, a short key file, no secret and out-of-bounds scrypt parameters', () => {
    throwsCode(() => sealKeystore(contents, { pin: '' }, { scrypt: CHEAP }), 'SMGW_SM_BAD_ARGUMENT');
    throwsCode(() => sealKeystore(contents, { keyFile: new Uint8Array(31) }), 'SMGW_SM_BAD_ARGUMENT');
    throwsCode(() => sealKeystore(contents, {} as KeystoreSecret), 'SMGW_SM_BAD_ARGUMENT');
    throwsCode(() => sealKeystore(contents, undefined as unknown as KeystoreSecret), 'SMGW_SM_BAD_ARGUMENT');
    for (const scrypt of [{ N: 1000 }, { N: 2 ** 20, r: 8 }, { r: 0 }, { p: 2 ** 10 }, { N: 2 ** 31 }]) {
      throwsCode(() => sealKeystore(contents, PIN, { scrypt }), 'SMGW_SM_BAD_ARGUMENT', JSON.stringify(scrypt));
    }
  });

  describe('a bit flipped in each region is a typed error', () => {
    for (const [label, secret, k] of [
      ['PIN keystore', PIN, 3],
      ['key-file keystore', KEY_FILE, 0],
    ] as const) {
      it(label, () => {
        const sealed = sealKeystore(contents, secret, { scrypt: CHEAP });
        const r = regions(k, sealed.length);
        const cases: [string, number, SecurityModuleErrorCode][] = [
          ['magic', r.magic, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['version', r.version, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['KDF id', r.kdfId, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['salt', r.salt, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['key-check value', r.check + 15, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['nonce', r.nonce + 11, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['length', r.length + 3, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['digest', r.digest, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['ciphertext start', r.ciphertext, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['ciphertext end', r.ciphertextEnd, 'SMGW_SM_KEYSTORE_CORRUPT'],
          ['tag', r.tag + 15, 'SMGW_SM_KEYSTORE_CORRUPT'],
        ];
        if (r.kdfParams !== undefined) cases.push(['KDF parameters', r.kdfParams, 'SMGW_SM_KEYSTORE_CORRUPT']);
        for (const [name, at, code] of cases) {
          throwsCode(() => openKeystore(flip(sealed, at), secret), code, name);
          throwsCode(() => openKeystore(flip(sealed, at, 0x80), secret), code, `${name} (high bit)`);
        }
      });
    }

    it('header rewritten with a recomputed digest: salt, KDF or check value read as a wrong PIN; nonce and length as corrupt', () => {
      const sealed = sealKeystore(contents, PIN, { scrypt: CHEAP });
      const k = 3;
      const r = regions(k, sealed.length);
      throwsCode(() => openKeystore(fixDigest(flip(sealed, r.salt), k), PIN), 'SMGW_SM_WRONG_PIN', 'salt');
      throwsCode(() => openKeystore(fixDigest(flip(sealed, r.check), k), PIN), 'SMGW_SM_WRONG_PIN', 'check');
      throwsCode(() => openKeystore(fixDigest(flip(sealed, 8), k), PIN), 'SMGW_SM_WRONG_PIN', 'log2 N 4 -> 5');
      throwsCode(() => openKeystore(fixDigest(flip(sealed, r.nonce), k), PIN), 'SMGW_SM_KEYSTORE_CORRUPT', 'nonce');
      throwsCode(() => openKeystore(fixDigest(flip(sealed, r.length + 3), k), PIN), 'SMGW_SM_KEYSTORE_CORRUPT', 'len');
      // Check value intact, header changed (AAD): the GCM tag catches it.
      const swapped = fixDigest(flip(sealed, r.nonce, 0xff), k);
      throwsCode(() => openKeystore(swapped, PIN), 'SMGW_SM_KEYSTORE_CORRUPT', 'nonce, all bits');
    });

    it('hostile scrypt parameters are refused before any derivation', () => {
      const sealed = sealKeystore(contents, PIN, { scrypt: CHEAP });
      for (const params of [
        [30, 8, 1],
        [21, 1, 1],
        [18, 16, 1],
        [15, 8, 255],
        [0, 8, 1],
        [4, 0, 1],
        [4, 8, 0],
        [255, 255, 255],
      ]) {
        const forged = Uint8Array.from(sealed);
        forged.set(params, 8);
        const started = performance.now();
        throwsCode(() => openKeystore(fixDigest(forged, 3), PIN), 'SMGW_SM_KEYSTORE_CORRUPT', params.join(','));
        assert.ok(performance.now() - started < 50, 'no slow KDF run');
      }
    });
  });

  it('truncated, extended, empty and foreign files are SMGW_SM_KEYSTORE_CORRUPT', () => {
    const sealed = sealKeystore(contents, KEY_FILE);
    for (const n of [0, 1, 5, 6, 7, 8, 20, 40, 63, 64, 65, sealed.length - 17, sealed.length - 16, sealed.length - 1]) {
      throwsCode(() => openKeystore(sealed.subarray(0, n), KEY_FILE), 'SMGW_SM_KEYSTORE_CORRUPT', `${n} bytes`);
    }
    throwsCode(() => openKeystore(Uint8Array.of(...sealed, 0), KEY_FILE), 'SMGW_SM_KEYSTORE_CORRUPT', 'appended');
    const pem = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n');
    throwsCode(() => openKeystore(new Uint8Array(pem), KEY_FILE), 'SMGW_SM_KEYSTORE_CORRUPT', 'PEM');
    throwsCode(() => openKeystore('SMGWKS' as unknown as Uint8Array, KEY_FILE), 'SMGW_SM_KEYSTORE_CORRUPT');
  });

  describe('property: hostile input gives only SecurityModuleError', () => {
    const keySealed = sealKeystore(contents, KEY_FILE);
    const pinSealed = sealKeystore(contents, PIN, { scrypt: CHEAP });

    function onlyTyped(bytes: Uint8Array, secret: KeystoreSecret): void {
      try {
        openKeystore(bytes, secret);
      } catch (e) {
        assert.ok(isSmgwError(e) && e instanceof SecurityModuleError, `untyped error: ${String(e)}`);
        return;
      }
      // Only an unchanged file may open.
      assert.ok(bytesEqual(bytes, secret === KEY_FILE ? keySealed : pinSealed), 'a changed keystore opened');
    }

    const mutation = fc.record({
      at: fc.nat(),
      op: fc.constantFrom('flip', 'set', 'cut', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
      fix: fc.boolean(),
    });

    it('random bytes, with and without a keystore header', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (tail, withMagic) => {
          const bytes = withMagic ? Uint8Array.of(...keySealed.subarray(0, 8), ...tail) : tail;
          onlyTyped(bytes, KEY_FILE);
        }),
        { numRuns: 2000 },
      );
    });

    it('mutations of valid keystores (some with the header digest recomputed)', () => {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, pin) => {
          const [base, secret, k] = pin ? [pinSealed, PIN, 3] : [keySealed, KEY_FILE, 0];
          let bytes: Uint8Array = Uint8Array.from(base);
          let fix = false;
          for (const m of mutations) {
            const at = bytes.length === 0 ? 0 : m.at % bytes.length;
            fix ||= m.fix;
            if (m.op === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << (m.byte & 7));
            else if (m.op === 'set') bytes[at] = m.byte;
            else if (m.op === 'cut') bytes = bytes.slice(0, at);
            else if (m.op === 'insert') bytes = Uint8Array.of(...bytes.subarray(0, at), m.byte, ...bytes.subarray(at));
            else bytes = Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1 + (m.byte & 3)));
          }
          if (fix && bytes.length >= 64 + k) bytes = fixDigest(bytes, k);
          onlyTyped(bytes, secret);
        }),
        { numRuns: 1500 },
      );
    });

    it('contents round-trip for arbitrary slots', () => {
      const slotName = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
      const slot = fc.record({
        slot: slotName,
        curve: fc.constantFrom(...CURVE_NAMES),
        pkcs8: fc.uint8Array({ minLength: 1, maxLength: 300 }),
        certificate: fc.option(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { nil: undefined }),
        createdAt: fc.integer({ min: 0, max: 2 ** 45 }),
      });
      const key = KeystoreKey.create(KEY_FILE);
      fc.assert(
        fc.property(fc.uniqueArray(slot, { selector: (s) => s.slot, maxLength: 6 }), (slots) => {
          const c: KeystoreContents = {
            slots: slots.map((s) =>
              s.certificate === undefined
                ? { slot: s.slot, curve: s.curve, pkcs8: s.pkcs8, createdAt: s.createdAt }
                : s,
            ) as KeystoreContents['slots'],
          };
          sameContents(key.open(key.seal(c)), c);
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('writeKeystoreFile (atomic replace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-ks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the bytes with mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'a.smgwks');
    await writeKeystoreFile(path, Uint8Array.of(1, 2, 3));
    await writeKeystoreFile(path, Uint8Array.of(4, 5));
    assert.deepEqual([...readFileSync(path)], [4, 5]);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['a.smgwks']);
  });

  for (const failing of ['open', 'rename'] as const) {
    it(`a failing ${failing} leaves the old file intact and no temporary file (SMGW_SM_BACKEND)`, async () => {
      const path = join(dir, `fail-${failing}.smgwks`);
      writeFileSync(path, 'old');
      const m = mock.method(fsp, failing, async () => {
        throw Object.assign(new Error(`simulated ${failing} failure`), { code: 'EIO' });
      });
      syncBuiltinESMExports();
      try {
        await assert.rejects(writeKeystoreFile(path, Uint8Array.of(9, 9, 9)), (e: unknown) => {
          assert.ok(e instanceof SecurityModuleError && e.code === 'SMGW_SM_BACKEND');
          assert.match(e.message, /EIO/);
          return true;
        });
      } finally {
        m.mock.restore();
        syncBuiltinESMExports();
      }
      assert.equal(readFileSync(path, 'utf8'), 'old');
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.includes(`fail-${failing}`)),
        [`fail-${failing}.smgwks`],
      );
    });
  }

  it('a missing directory is SMGW_SM_BACKEND', async () => {
    await assert.rejects(writeKeystoreFile(join(dir, 'no', 'such', 'x'), Uint8Array.of(1)), {
      code: 'SMGW_SM_BACKEND',
    });
  });
});
