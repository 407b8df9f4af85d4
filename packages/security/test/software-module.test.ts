/**
 * SoftwareSecurityModule: the shared conformance suite in memory and file-backed (PIN and key
 * file), then what only a keystore-backed module has: persistence across reopen, wrong secrets,
 * tampered and truncated files (never overwritten), failed writes (old file intact, memory rolled
 * back), manual persistence, and openSecurityModule. Tests use cheap scrypt parameters through
 * the `kdf` option; production keeps the default (N=2^15, r=8, p=1).
 */
import assert from 'node:assert/strict';
import { createECDH, createPrivateKey, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { bytesEqual, FakeClock } from '@opensmgw/core';
import { CURVE_NAMES, CURVES } from '../src/curves.js';
import { verifySignature } from '../src/ec-keys.js';
import { keystoreKdf, openKeystore } from '../src/module/keystore.js';
import { openSecurityModule } from '../src/module/open-module.js';
import { SoftwareSecurityModule, type SoftwareSecurityModuleOptions } from '../src/module/software-module.js';
import { rejectsWith, securityModuleConformance } from './conformance-suite.js';

const root = mkdtempSync(join(tmpdir(), 'smgw-sm-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(): string {
  const d = join(root, `d${dirCount++}`);
  mkdirSync(d);
  return d;
}

const PIN = '0123456789';
const CHEAP = { N: 2 ** 10 };
const KEY = new Uint8Array(randomBytes(32));

function filesIn(dir: string): Uint8Array[] {
  return readdirSync(dir).map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

securityModuleConformance('software, in memory', () => SoftwareSecurityModule.open());

{
  const dir = freshDir();
  let n = 0;
  securityModuleConformance(
    'software, keystore file (PIN, scrypt)',
    () => SoftwareSecurityModule.open({ path: join(dir, `c${n++}.smgwks`), pin: PIN, create: true, kdf: CHEAP }),
    { storedBytes: async () => filesIn(dir) },
  );
}
{
  const dir = freshDir();
  let n = 0;
  securityModuleConformance(
    'software, keystore file (key file, HKDF)',
    () => SoftwareSecurityModule.open({ path: join(dir, `c${n++}.smgwks`), keyFile: KEY, create: true }),
    { storedBytes: async () => filesIn(dir), curves: ['brainpoolP256r1'] },
  );
}

describe('software module: keystore file', () => {
  const opts = (path: string, extra: Partial<SoftwareSecurityModuleOptions> = {}): SoftwareSecurityModuleOptions => ({
    path,
    pin: PIN,
    kdf: CHEAP,
    ...extra,
  });

  it('persists every change and reopens with the same keys, certificates and creation times', async () => {
    const path = join(freshDir(), 'keys.smgwks');
    const clock = new FakeClock('2025-03-01T00:00:00Z');
    const sm = await SoftwareSecurityModule.open(opts(path, { create: true, clock }));
    const pubs = new Map<string, Uint8Array>();
    for (const curve of CURVE_NAMES) {
      const slot = curve.toLowerCase().replace(/[^a-z0-9]/g, '');
      pubs.set(slot, (await sm.generateKeyPair(slot, curve)).point);
    }
    const cert = new Uint8Array(randomBytes(300));
    await sm.writeCertificate('p256', cert);
    const peer = createECDH('prime256v1');
    const peerPoint = new Uint8Array(peer.generateKeys());
    const z = await sm.ecdh('p256', peerPoint);
    // No close: the file must already hold everything (auto persistence).
    const again = await SoftwareSecurityModule.open(opts(path));
    assert.deepEqual(
      (await again.listSlots()).sort((a, b) => a.slot.localeCompare(b.slot)),
      (await sm.listSlots()).sort((a, b) => a.slot.localeCompare(b.slot)),
    );
    for (const [slot, point] of pubs) {
      const pub = await again.publicKey(slot);
      assert.ok(bytesEqual(pub.point, point), slot);
      const data = new Uint8Array(randomBytes(64));
      const hash = CURVES[pub.curve].hash;
      assert.ok(verifySignature(pub.spki, data, await again.sign(slot, data, hash), hash), `${slot} signs`);
    }
    assert.ok(bytesEqual((await again.readCertificate('p256'))!, cert));
    assert.ok(bytesEqual(await again.ecdh('p256', peerPoint), z));
    const contents = openKeystore(new Uint8Array(readFileSync(path)), { pin: PIN });
    assert.ok(contents.slots.every((s) => s.createdAt === Date.parse('2025-03-01T00:00:00Z')));
    await again.close();
    await sm.destroyKey('p256');
    await sm.close();
    const third = await SoftwareSecurityModule.open(opts(path));
    await rejectsWith(third.publicKey('p256'), 'SMGW_SM_NO_KEY');
    assert.equal(await third.readCertificate('p256'), undefined);
    assert.equal((await third.listSlots()).length, 4);
    await third.close();
  });

  it('the file never holds a private key in clear', async () => {
    const dir = freshDir();
    const path = join(dir, 'keys.smgwks');
    const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
    await sm.generateKeyPair('wan-tls', 'brainpoolP256r1');
    const ref = await sm.tlsKey('wan-tls');
    assert.equal(ref.kind, 'pem');
    const pkcs8 = Buffer.from(createPrivateKey((ref as { pem: string }).pem).export({ format: 'der', type: 'pkcs8' }));
    const file = readFileSync(path);
    // The 32-byte scalar sits at a fixed place in the PKCS#8 of this curve; look for any 16 bytes of it.
    for (let i = 0; i + 16 <= pkcs8.length; i += 8) assert.equal(file.indexOf(pkcs8.subarray(i, i + 16)), -1);
    assert.equal(file.indexOf(Buffer.from('wan-tls')), -1, 'slot names are sealed too');
    assert.deepEqual(readdirSync(dir), ['keys.smgwks'], 'no temporary file left');
    await sm.close();
  });

  it('a wrong PIN or key file is SMGW_SM_WRONG_PIN and leaves the file as it was', async () => {
    const path = join(freshDir(), 'keys.smgwks');
    const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
    await sm.generateKeyPair('wan-sig', 'P-256');
    await sm.close();
    const before = readFileSync(path);
    await rejectsWith(SoftwareSecurityModule.open(opts(path, { pin: '0123456780' })), 'SMGW_SM_WRONG_PIN');
    await rejectsWith(SoftwareSecurityModule.open({ path, keyFile: KEY }), 'SMGW_SM_WRONG_PIN');
    await rejectsWith(
      SoftwareSecurityModule.open(opts(path, { pin: '0123456780', create: true })),
      'SMGW_SM_WRONG_PIN',
    );
    assert.ok(readFileSync(path).equals(before));
  });

  it('a key file opens its keystore, as bytes or as a path; HKDF is recorded', async () => {
    const dir = freshDir();
    const path = join(dir, 'keys.smgwks');
    const keyPath = join(dir, 'keystore.key');
    writeFileSync(keyPath, KEY, { mode: 0o600 });
    const sm = await SoftwareSecurityModule.open({ path, keyFile: keyPath, create: true });
    const pub = await sm.generateKeyPair('ca', 'brainpoolP384r1');
    await sm.close();
    assert.deepEqual(keystoreKdf(new Uint8Array(readFileSync(path))), { kdf: 'hkdf-sha256' });
    const again = await SoftwareSecurityModule.open({ path, keyFile: Uint8Array.from(KEY) });
    assert.ok(bytesEqual((await again.publicKey('ca')).point, pub.point));
    await again.close();
    await rejectsWith(SoftwareSecurityModule.open({ path, keyFile: join(dir, 'missing.key') }), 'SMGW_SM_BACKEND');
  });

  it('a PIN keystore records its scrypt parameters; the default is N=2^15 r=8 p=1', async () => {
    const dir = freshDir();
    const cheap = join(dir, 'cheap.smgwks');
    await (await SoftwareSecurityModule.open(opts(cheap, { create: true }))).close();
    assert.deepEqual(keystoreKdf(new Uint8Array(readFileSync(cheap))), {
      kdf: 'scrypt',
      params: { N: 1024, r: 8, p: 1 },
    });
    const dflt = join(dir, 'default.smgwks');
    await (await SoftwareSecurityModule.open({ path: dflt, pin: PIN, create: true })).close();
    assert.deepEqual(keystoreKdf(new Uint8Array(readFileSync(dflt))), {
      kdf: 'scrypt',
      params: { N: 32768, r: 8, p: 1 },
    });
  });

  it('refuses bad options with SMGW_SM_BAD_ARGUMENT; a missing file without create is SMGW_SM_BACKEND', async () => {
    const dir = freshDir();
    const path = join(dir, 'keys.smgwks');
    await rejectsWith(SoftwareSecurityModule.open({ path }), 'SMGW_SM_BAD_ARGUMENT');
    await rejectsWith(SoftwareSecurityModule.open({ path, pin: PIN, keyFile: KEY }), 'SMGW_SM_BAD_ARGUMENT');
    await rejectsWith(SoftwareSecurityModule.open({ path, pin: '' }), 'SMGW_SM_BAD_ARGUMENT');
    await rejectsWith(SoftwareSecurityModule.open({ path, keyFile: new Uint8Array(16) }), 'SMGW_SM_BAD_ARGUMENT');
    await rejectsWith(
      SoftwareSecurityModule.open({ path, pin: PIN, create: true, kdf: { N: 1000 } }),
      'SMGW_SM_BAD_ARGUMENT',
    );
    await rejectsWith(
      SoftwareSecurityModule.open({ path, pin: PIN, persist: 'never' as 'manual' }),
      'SMGW_SM_BAD_ARGUMENT',
    );
    await rejectsWith(SoftwareSecurityModule.open({ path, pin: PIN }), 'SMGW_SM_BACKEND');
    assert.deepEqual(readdirSync(dir), [], 'nothing created');
  });

  describe('tampered files: typed error, file on disk unchanged, not overwritten even with create', () => {
    const dir = freshDir();
    const path = join(dir, 'keys.smgwks');
    let good: Buffer;

    it('(set-up) a keystore with two keys and a certificate', async () => {
      const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
      await sm.generateKeyPair('wan-tls', 'brainpoolP256r1');
      await sm.generateKeyPair('wan-enc', 'brainpoolP512r1');
      await sm.writeCertificate('wan-tls', new Uint8Array(randomBytes(400)));
      await sm.close();
      good = readFileSync(path);
    });

    // Offsets of a PIN keystore (3 KDF parameter bytes): see the layout table in keystore.ts.
    const regions: [string, (n: number) => number][] = [
      ['magic', () => 2],
      ['version', () => 6],
      ['KDF id', () => 7],
      ['KDF parameters', () => 8],
      ['salt', () => 11 + 7],
      ['key-check value', () => 27 + 3],
      ['nonce', () => 43 + 5],
      ['length', () => 55 + 2],
      ['header digest', () => 59 + 1],
      ['ciphertext', (n) => 67 + Math.floor((n - 83) / 2)],
      ['tag', (n) => n - 5],
    ];
    for (const [name, at] of regions) {
      it(name, async () => {
        const bad = Buffer.from(good);
        const i = at(bad.length);
        bad[i] = (bad[i] as number) ^ 0x10;
        writeFileSync(path, bad);
        await rejectsWith(SoftwareSecurityModule.open(opts(path)), 'SMGW_SM_KEYSTORE_CORRUPT');
        await rejectsWith(SoftwareSecurityModule.open(opts(path, { create: true })), 'SMGW_SM_KEYSTORE_CORRUPT');
        assert.ok(readFileSync(path).equals(bad), 'the tampered file is left for inspection, not overwritten');
        writeFileSync(path, good);
      });
    }

    it('truncated, empty, extended and foreign files', async () => {
      const variants = [
        good.subarray(0, 0),
        good.subarray(0, 10),
        good.subarray(0, 66),
        good.subarray(0, good.length - 1),
        Buffer.concat([good, Buffer.from([0])]),
        Buffer.from('-----BEGIN PRIVATE KEY-----\n'),
        randomBytes(500),
      ];
      for (const bad of variants) {
        writeFileSync(path, bad);
        await rejectsWith(SoftwareSecurityModule.open(opts(path, { create: true })), 'SMGW_SM_KEYSTORE_CORRUPT');
        assert.ok(readFileSync(path).equals(bad));
      }
      writeFileSync(path, good);
      await (await SoftwareSecurityModule.open(opts(path))).close();
    });
  });

  describe('failed writes', () => {
    function failing(method: 'rename' | 'open'): { restore: () => void } {
      const m = mock.method(fsp, method, async () => {
        throw Object.assign(new Error(`simulated ${method} failure`), { code: 'EIO' });
      });
      syncBuiltinESMExports();
      return {
        restore: () => {
          m.mock.restore();
          syncBuiltinESMExports();
        },
      };
    }

    for (const method of ['rename', 'open'] as const) {
      it(`a failing ${method}: SMGW_SM_BACKEND, old file intact, the change undone in memory`, async () => {
        const dir = freshDir();
        const path = join(dir, 'keys.smgwks');
        const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
        const pub = await sm.generateKeyPair('wan-tls', 'P-256');
        const cert = new Uint8Array(randomBytes(100));
        await sm.writeCertificate('wan-tls', cert);
        const before = readFileSync(path);
        const f = failing(method);
        try {
          await rejectsWith(sm.generateKeyPair('wan-sig', 'P-256'), 'SMGW_SM_BACKEND');
          await rejectsWith(sm.writeCertificate('wan-tls', new Uint8Array(50)), 'SMGW_SM_BACKEND');
          await rejectsWith(sm.destroyKey('wan-tls'), 'SMGW_SM_BACKEND');
        } finally {
          f.restore();
        }
        assert.ok(readFileSync(path).equals(before), 'old file intact');
        assert.deepEqual(readdirSync(dir), ['keys.smgwks'], 'no temporary file left');
        await rejectsWith(sm.publicKey('wan-sig'), 'SMGW_SM_NO_KEY');
        assert.ok(bytesEqual((await sm.readCertificate('wan-tls'))!, cert), 'certificate change undone');
        assert.ok(bytesEqual((await sm.publicKey('wan-tls')).point, pub.point), 'destroy undone');
        // The next change writes normally.
        await sm.generateKeyPair('wan-sig', 'P-256');
        await sm.close();
        const again = await SoftwareSecurityModule.open(opts(path));
        assert.deepEqual((await again.listSlots()).map((s) => s.slot).sort(), ['wan-sig', 'wan-tls']);
        await again.close();
      });
    }

    it('a read-only directory (when not root): SMGW_SM_BACKEND, old file intact', async (t) => {
      if (process.getuid?.() === 0) {
        t.skip('root ignores directory permissions; the simulated failures above cover this');
        return;
      }
      const dir = freshDir();
      const path = join(dir, 'keys.smgwks');
      const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
      const before = readFileSync(path);
      chmodSync(dir, 0o500);
      try {
        await rejectsWith(sm.generateKeyPair('wan-tls', 'P-256'), 'SMGW_SM_BACKEND');
      } finally {
        chmodSync(dir, 0o700);
      }
      assert.ok(readFileSync(path).equals(before));
      await sm.close();
    });
  });

  it("persist: 'manual' writes only on save(); close without save loses the changes", async () => {
    const path = join(freshDir(), 'keys.smgwks');
    const sm = await SoftwareSecurityModule.open(opts(path, { create: true, persist: 'manual' }));
    const empty = readFileSync(path);
    assert.equal(sm.unsaved, false);
    await sm.generateKeyPair('wan-tls', 'P-256');
    await sm.generateKeyPair('wan-sig', 'P-256');
    await sm.writeCertificate('wan-tls', new Uint8Array(10).fill(0x30));
    assert.equal(sm.unsaved, true);
    assert.ok(readFileSync(path).equals(empty), 'nothing written yet');
    await sm.save();
    assert.equal(sm.unsaved, false);
    await sm.generateKeyPair('wan-enc', 'P-256');
    await sm.close();
    const again = await SoftwareSecurityModule.open(opts(path));
    assert.deepEqual((await again.listSlots()).map((s) => s.slot).sort(), ['wan-sig', 'wan-tls']);
    await again.close();
  });

  it('many concurrent changes all reach the file (saves are serialised)', async () => {
    const path = join(freshDir(), 'keys.smgwks');
    const sm = await SoftwareSecurityModule.open(opts(path, { create: true }));
    const slots = Array.from({ length: 12 }, (_, i) => `s${i}`);
    await Promise.all(slots.map((s) => sm.generateKeyPair(s, 'P-256')));
    await Promise.all(slots.slice(0, 6).map((s) => sm.destroyKey(s)));
    await sm.close();
    const again = await SoftwareSecurityModule.open(opts(path));
    assert.deepEqual((await again.listSlots()).map((s) => s.slot).sort(), slots.slice(6).sort());
    await again.close();
  });

  it('a PKI-sized set-up is fast: 10 key-file keystores of 3 keys and certificates each, auto-persisted', async () => {
    const dir = freshDir();
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      const sm = await SoftwareSecurityModule.open({ path: join(dir, `e${i}.smgwks`), keyFile: KEY, create: true });
      for (const slot of ['wan-tls', 'wan-sig', 'wan-enc']) {
        await sm.generateKeyPair(slot, 'brainpoolP256r1');
        await sm.writeCertificate(slot, new Uint8Array(randomBytes(700)));
      }
      await sm.close();
    }
    const ms = performance.now() - started;
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });
});

describe('openSecurityModule', () => {
  it('opens a software module in memory and from a keystore file', async () => {
    const mem = await openSecurityModule({ backend: 'software' });
    assert.equal(mem.kind, 'software');
    await mem.close();
    const path = join(freshDir(), 'keys.smgwks');
    const file = await openSecurityModule({ backend: 'software', path, keyFile: KEY, create: true });
    await file.generateKeyPair('wan-tls', 'P-256');
    await file.close();
    const again = await openSecurityModule({ backend: 'software', path, keyFile: KEY }, { clock: new FakeClock(0) });
    assert.equal((await again.listSlots()).length, 1);
    await again.close();
  });

  it('an unknown backend is SMGW_SM_BAD_ARGUMENT; pkcs11 with a missing library is a typed error', async () => {
    await rejectsWith(openSecurityModule({ backend: 'tpm' } as never), 'SMGW_SM_BAD_ARGUMENT');
    await assert.rejects(
      openSecurityModule({ backend: 'pkcs11', library: '/nonexistent/libpkcs11.so', tokenLabel: 'x', pin: '1234' }),
      (e: unknown) => {
        assert.ok(e instanceof Error && (e as { code?: string }).code?.startsWith('SMGW_SM_'), String(e));
        return true;
      },
    );
  });
});
