/**
 * The security-module conformance suite: what every `SecurityModule` backend must do, run by each
 * backend's own test file (`software-module.test.ts`, `pkcs11-module.test.ts`). Shaped after the
 * TR-03109-2 command set (spec notes §13) and the TR-03116-3 curves (spec notes §3.1).
 *
 * Backend-neutral on purpose: it only uses the interface, and every check a backend cannot share
 * (keystore files, token attributes) belongs in that backend's own test file. Slot names get a
 * per-run prefix and every slot the suite fills is destroyed at the end, so a persistent token
 * (PKCS#11) is left as it was found.
 */
import assert from 'node:assert/strict';
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  verify as nodeVerify,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bytesEqual } from '@opensmgw/core';
import { ECDSASigValue, ECPrivateKey } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CURVE_NAMES, CURVES, type CurveName, HASH_NAMES, type HashName, NODE_HASH } from '../src/curves.js';
import { derToRawSignature, type EcPublicKey, parseSpki, verifySignature } from '../src/ec-keys.js';
import { SecurityModuleError, type SecurityModuleErrorCode } from '../src/errors.js';
import type { SecurityModule } from '../src/module/security-module.js';
import { opensslSelfSignedDer } from './pki-openssl.js';

export interface ConformanceOptions {
  /** Curves to run the per-curve cases on (default: all five of TR-03116-3). */
  readonly curves?: readonly CurveName[];
  /**
   * Prefix of every slot name the suite uses (default `cf` plus 4 random hex digits, so two runs
   * against the same persistent token do not meet). Must match `[a-z][a-z0-9-]*` and be short:
   * slot names are at most 32 characters.
   */
  readonly slotPrefix?: string;
  /**
   * Bytes the backend keeps at rest (e.g. the sealed keystore file), read after keys were made.
   * When the backend's `tlsKey` is `pem` (so the suite can learn the private key), the suite
   * asserts that neither the PKCS#8 DER nor the raw private scalar appears in them in clear.
   */
  readonly storedBytes?: () => Promise<readonly Uint8Array[]>;
}

/** The methods of the interface; anything else public must not look like a key export. */
const INTERFACE_METHODS = [
  'generateKeyPair',
  'publicKey',
  'sign',
  'ecdh',
  'random',
  'writeCertificate',
  'readCertificate',
  'destroyKey',
  'listSlots',
  'tlsKey',
  'close',
] as const;

const EXPORTISH = /export|extract|private|secret|pkcs8|pkcs#8|dump|unwrap|plain|scalar|raw/i;

/** Asserts that `promise` rejects with a SecurityModuleError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: SecurityModuleErrorCode): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SecurityModuleError, `expected SecurityModuleError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return true;
  });
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return needle.length > 0 && Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

/** Every Uint8Array and string reachable through own enumerable properties (cycle-safe). */
function reachableBytes(value: unknown, out: Uint8Array[] = [], seen = new Set<unknown>()): Uint8Array[] {
  if (value === null || value === undefined || seen.has(value)) return out;
  if (typeof value === 'string') {
    out.push(Buffer.from(value, 'utf8'));
    return out;
  }
  if (typeof value !== 'object') return out;
  seen.add(value);
  if (value instanceof Uint8Array) {
    out.push(value);
    return out;
  }
  for (const key of Object.keys(value)) reachableBytes((value as Record<string, unknown>)[key], out, seen);
  return out;
}

/** A real DER X.509 certificate (of an unrelated key: modules store certificates as bytes). */
function makeCertificate(cn: string): Uint8Array {
  try {
    return opensslSelfSignedDer({ curve: 'prime256v1', subject: `/CN=${cn}`, days: 1 });
  } catch {
    // No openssl CLI: any DER SEQUENCE will do for a store-and-read test.
    const body = Buffer.concat([Buffer.from([0x0c, cn.length]), Buffer.from(cn)]);
    return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
  }
}

function assertPublicKey(key: EcPublicKey, curve: CurveName): void {
  const size = CURVES[curve].size;
  assert.equal(key.curve, curve);
  assert.ok(key.point instanceof Uint8Array);
  assert.equal(key.point.length, 1 + 2 * size, 'uncompressed point length');
  assert.equal(key.point[0], 0x04, 'uncompressed point (TR-03116-3 §3.1)');
  const parsed = parseSpki(key.spki); // also checks the point lies on the curve
  assert.equal(parsed.curve, curve);
  assert.ok(bytesEqual(parsed.point, key.point), 'SPKI and point agree');
}

/** Strict DER Ecdsa-Sig-Value with r, s in 1..n-1 sized for the curve; returns r||s. */
function assertDerSignature(sig: Uint8Array, curve: CurveName): Uint8Array {
  const size = CURVES[curve].size;
  const parsed = AsnConvert.parse(sig, ECDSASigValue);
  assert.ok(bytesEqual(new Uint8Array(AsnConvert.serialize(parsed)), sig), 'signature is canonical DER');
  const raw = derToRawSignature(sig, size);
  assert.ok(
    raw.subarray(0, size).some((b) => b !== 0),
    'r is not zero',
  );
  assert.ok(
    raw.subarray(size).some((b) => b !== 0),
    's is not zero',
  );
  return raw;
}

/** WebCrypto knows the NIST curves only: a second, independent verifier for those. */
const WEBCRYPTO_CURVES: Partial<Record<CurveName, string>> = { 'P-256': 'P-256', 'P-384': 'P-384' };

async function webcryptoVerify(
  curve: CurveName,
  point: Uint8Array,
  raw: Uint8Array,
  data: Uint8Array,
  hash: HashName,
): Promise<boolean | undefined> {
  const namedCurve = WEBCRYPTO_CURVES[curve];
  if (namedCurve === undefined) return undefined;
  const key = await webcrypto.subtle.importKey('raw', point, { name: 'ECDSA', namedCurve }, false, ['verify']);
  return webcrypto.subtle.verify({ name: 'ECDSA', hash }, key, raw, data);
}

/**
 * Registers the conformance cases for one backend. `open` must return a working module each time
 * it is called (the suite opens one for most cases and more for the close tests); slots the suite
 * does not name are left alone.
 */
export function securityModuleConformance(
  name: string,
  open: () => Promise<SecurityModule>,
  options: ConformanceOptions = {},
): void {
  const curves = options.curves ?? CURVE_NAMES;
  const prefix = options.slotPrefix ?? `cf${randomBytes(2).toString('hex')}`;
  let counter = 0;
  const used = new Set<string>();
  /** A fresh slot name for this run. */
  const slot = (purpose: string): string => {
    const s = `${prefix}-${(counter++).toString(36)}-${purpose}`.slice(0, 32).replace(/-$/, 'x');
    used.add(s);
    return s;
  };

  describe(`${name}: security module conformance`, () => {
    let sm: SecurityModule;
    let cert1: Uint8Array;
    let cert2: Uint8Array;

    before(async () => {
      sm = await open();
      cert1 = makeCertificate('conformance one');
      cert2 = makeCertificate('conformance two');
    });

    after(async () => {
      if (!sm) return;
      for (const s of used) {
        try {
          await sm.destroyKey(s);
        } catch {
          // best effort: the close tests may have closed this module's twin
        }
      }
      await sm.close();
    });

    it('reports its kind', () => {
      assert.ok(sm.kind === 'software' || sm.kind === 'pkcs11', `kind ${String(sm.kind)}`);
    });

    for (const curve of curves) {
      describe(curve, () => {
        const size = CURVES[curve].size;
        let s: string;
        let pub: EcPublicKey;

        before(async () => {
          s = slot(curve.toLowerCase().replace(/[^a-z0-9]/g, ''));
          pub = await sm.generateKeyPair(s, curve);
        });

        it('generates a key pair: uncompressed point on the curve, SPKI of the same key', () => {
          assertPublicKey(pub, curve);
        });

        it('publicKey returns the generated key, as a copy', async () => {
          const again = await sm.publicKey(s);
          assertPublicKey(again, curve);
          assert.ok(bytesEqual(again.point, pub.point));
          assert.ok(bytesEqual(again.spki, pub.spki));
          again.point.fill(0);
          again.spki.fill(0);
          const third = await sm.publicKey(s);
          assert.ok(bytesEqual(third.point, pub.point), 'mutating a returned key does not change the module');
        });

        for (const hash of HASH_NAMES) {
          it(`signs with ${hash}: strict DER that verifies (ec-keys, node:crypto${WEBCRYPTO_CURVES[curve] ? ', WebCrypto' : ''})`, async () => {
            const data = new Uint8Array(randomBytes(100));
            const sig = await sm.sign(s, data, hash);
            assert.ok(sig instanceof Uint8Array);
            const raw = assertDerSignature(sig, curve);
            assert.equal(verifySignature(pub.spki, data, sig, hash), true, 'verifySignature');
            const key = createPublicKey({ key: Buffer.from(pub.spki), format: 'der', type: 'spki' });
            assert.equal(nodeVerify(NODE_HASH[hash], data, { key, dsaEncoding: 'der' }, sig), true, 'node verify');
            assert.equal(
              nodeVerify(NODE_HASH[hash], data, { key, dsaEncoding: 'ieee-p1363' }, raw),
              true,
              'node verify r||s',
            );
            const wc = await webcryptoVerify(curve, pub.point, raw, data, hash);
            if (wc !== undefined) assert.equal(wc, true, 'WebCrypto verify');
            const other = Uint8Array.from(data);
            other[0] = (other[0] as number) ^ 1;
            assert.equal(verifySignature(pub.spki, other, sig, hash), false, 'signature is bound to the data');
          });
        }

        it('signs empty data and large data; two signatures of the same data both verify', async () => {
          const hash = CURVES[curve].hash;
          for (const data of [new Uint8Array(0), new Uint8Array(randomBytes(200_000))]) {
            const a = await sm.sign(s, data, hash);
            const b = await sm.sign(s, data, hash);
            assert.ok(verifySignature(pub.spki, data, a, hash));
            assert.ok(verifySignature(pub.spki, data, b, hash));
          }
        });

        it('ECKA-DH between two slots gives the same Z both ways (point and SPKI input), Z of curve size', async () => {
          const s2 = slot(`${curve.toLowerCase().replace(/[^a-z0-9]/g, '')}b`);
          const pub2 = await sm.generateKeyPair(s2, curve);
          const z1 = await sm.ecdh(s, pub2.point);
          const z2 = await sm.ecdh(s2, pub.point);
          const z3 = await sm.ecdh(s, pub2.spki);
          assert.equal(z1.length, size);
          assert.ok(bytesEqual(z1, z2), 'Z(a, B) = Z(b, A)');
          assert.ok(bytesEqual(z1, z3), 'uncompressed point and SPKI give the same Z');
          assert.ok(
            z1.some((b) => b !== 0),
            'Z is not all zero',
          );
          await sm.destroyKey(s2);
        });

        it("ECKA-DH equals node's ECDH with a software peer key", async () => {
          const peer = createECDH(CURVES[curve].opensslName);
          const peerPoint = new Uint8Array(peer.generateKeys());
          const z = await sm.ecdh(s, peerPoint);
          const expected = new Uint8Array(peer.computeSecret(Buffer.from(pub.point)));
          assert.equal(z.length, size);
          assert.ok(bytesEqual(z, expected), 'Z equals the peer side');
          // A returned Z is the caller's: zeroising it must not disturb the next agreement.
          z.fill(0);
          assert.ok(bytesEqual(await sm.ecdh(s, peerPoint), expected));
        });

        it('ECKA-DH refuses peer keys that are not valid points on the slot curve (SMGW_SM_BAD_PEER_KEY)', async () => {
          const other = curves.find((c) => CURVES[c].size !== size) ?? CURVE_NAMES.find((c) => CURVES[c].size !== size);
          const sameSize = CURVE_NAMES.find((c) => c !== curve && CURVES[c].size === size);
          const bad: Uint8Array[] = [];
          if (other) {
            const k = generateKeyPairSync('ec', { namedCurve: CURVES[other].opensslName }).publicKey;
            bad.push(new Uint8Array(k.export({ format: 'der', type: 'spki' })));
            bad.push(parseSpki(new Uint8Array(k.export({ format: 'der', type: 'spki' }))).point);
          }
          if (sameSize) {
            // Same length, other curve: only the curve check (SPKI) or the on-curve check (point) catches it.
            const k = generateKeyPairSync('ec', { namedCurve: CURVES[sameSize].opensslName }).publicKey;
            const spki = new Uint8Array(k.export({ format: 'der', type: 'spki' }));
            bad.push(spki);
            bad.push(parseSpki(spki).point);
          }
          const notOnCurve = Uint8Array.from(pub.point);
          notOnCurve[notOnCurve.length - 1] = (notOnCurve[notOnCurve.length - 1] as number) ^ 1;
          bad.push(notOnCurve);
          const compressed = new Uint8Array(1 + size);
          compressed[0] = 0x02 + ((pub.point[pub.point.length - 1] as number) & 1);
          compressed.set(pub.point.subarray(1, 1 + size), 1);
          bad.push(compressed);
          bad.push(new Uint8Array(0), Uint8Array.of(0x00), Uint8Array.of(0x04), new Uint8Array(1 + 2 * size).fill(0));
          const zeroPoint = new Uint8Array(1 + 2 * size);
          zeroPoint[0] = 0x04;
          bad.push(zeroPoint);
          bad.push(new Uint8Array(randomBytes(1 + 2 * size)), new Uint8Array(randomBytes(91)));
          bad.push(pub.point.subarray(0, pub.point.length - 1), Uint8Array.of(...pub.point, 0));
          for (const peer of bad) await rejectsWith(sm.ecdh(s, peer), 'SMGW_SM_BAD_PEER_KEY');
        });
      });
    }

    describe('random (GET CHALLENGE)', () => {
      it('returns exactly the asked number of bytes, 1..65536', async () => {
        for (const n of [1, 2, 16, 32, 1000, 65536]) {
          const r = await sm.random(n);
          assert.ok(r instanceof Uint8Array);
          assert.equal(r.length, n);
        }
      });

      it('returns distinct values and not a constant', async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 64; i++) seen.add(Buffer.from(await sm.random(16)).toString('hex'));
        assert.equal(seen.size, 64);
        const big = await sm.random(4096);
        const counts = new Array<number>(256).fill(0);
        for (const b of big) counts[b] = (counts[b] as number) + 1;
        // 4096 bytes over 256 values: about 16 each; a stuck or heavily biased RNG fails this.
        assert.ok(Math.max(...counts) < 64, 'byte distribution is not grossly biased');
      });

      it('refuses lengths outside 1..65536 (SMGW_SM_BAD_ARGUMENT)', async () => {
        for (const n of [0, -1, 65537, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '16' as unknown as number]) {
          await rejectsWith(sm.random(n), 'SMGW_SM_BAD_ARGUMENT');
        }
      });
    });

    describe('certificates (READ/UPDATE BINARY)', () => {
      it('writes, reads back and replaces a slot certificate; readCertificate returns a copy', async () => {
        const s = slot('cert');
        await sm.generateKeyPair(s, 'brainpoolP256r1');
        assert.equal(await sm.readCertificate(s), undefined, 'no certificate before one is written');
        await sm.writeCertificate(s, cert1);
        const read1 = await sm.readCertificate(s);
        assert.ok(read1 && bytesEqual(read1, cert1));
        await sm.writeCertificate(s, cert2);
        const read2 = await sm.readCertificate(s);
        assert.ok(read2 && bytesEqual(read2, cert2), 'writeCertificate replaces');
        read2.fill(0);
        const read3 = await sm.readCertificate(s);
        assert.ok(read3 && bytesEqual(read3, cert2), 'mutating a returned certificate does not change the module');
      });

      it('the stored certificate does not alias the caller buffer', async () => {
        const s = slot('certcopy');
        await sm.generateKeyPair(s, 'P-256');
        const mine = Uint8Array.from(cert1);
        await sm.writeCertificate(s, mine);
        mine.fill(0);
        const read = await sm.readCertificate(s);
        assert.ok(read && bytesEqual(read, cert1));
      });

      it('readCertificate of an empty slot is undefined; writeCertificate to an empty slot is SMGW_SM_NO_KEY', async () => {
        const s = slot('nocert');
        assert.equal(await sm.readCertificate(s), undefined);
        await rejectsWith(sm.writeCertificate(s, cert1), 'SMGW_SM_NO_KEY');
        assert.equal(await sm.readCertificate(s), undefined);
      });
    });

    describe('key life cycle', () => {
      it('an empty slot: publicKey, sign, ecdh and tlsKey are SMGW_SM_NO_KEY', async () => {
        const s = slot('empty');
        const peer = createECDH('brainpoolP256r1').generateKeys();
        await rejectsWith(sm.publicKey(s), 'SMGW_SM_NO_KEY');
        await rejectsWith(sm.sign(s, new Uint8Array(8), 'SHA-256'), 'SMGW_SM_NO_KEY');
        await rejectsWith(sm.ecdh(s, new Uint8Array(peer)), 'SMGW_SM_NO_KEY');
        await rejectsWith(sm.tlsKey(s), 'SMGW_SM_NO_KEY');
      });

      it('an occupied slot is SMGW_SM_SLOT_IN_USE and keeps its key', async () => {
        const s = slot('inuse');
        const first = await sm.generateKeyPair(s, 'P-256');
        await rejectsWith(sm.generateKeyPair(s, 'P-256'), 'SMGW_SM_SLOT_IN_USE');
        await rejectsWith(sm.generateKeyPair(s, 'brainpoolP384r1'), 'SMGW_SM_SLOT_IN_USE');
        const still = await sm.publicKey(s);
        assert.ok(bytesEqual(still.point, first.point), 'the key is not replaced');
      });

      it('destroyKey removes key and certificate; the slot is empty and can get a new key', async () => {
        const s = slot('destroy');
        const first = await sm.generateKeyPair(s, 'brainpoolP256r1');
        await sm.writeCertificate(s, cert1);
        await sm.destroyKey(s);
        await rejectsWith(sm.publicKey(s), 'SMGW_SM_NO_KEY');
        await rejectsWith(sm.sign(s, new Uint8Array(1), 'SHA-256'), 'SMGW_SM_NO_KEY');
        assert.equal(await sm.readCertificate(s), undefined, 'the certificate went with the key');
        assert.ok(!(await sm.listSlots()).some((i) => i.slot === s), 'no longer listed');
        await sm.destroyKey(s); // no-op on an empty slot
        const second = await sm.generateKeyPair(s, 'brainpoolP256r1');
        assert.ok(!bytesEqual(first.point, second.point), 'a new key, not the old one');
      });

      it('listSlots lists the filled slots with curve and certificate flag', async () => {
        const a = slot('list-a');
        const b = slot('list-b');
        await sm.generateKeyPair(a, 'brainpoolP384r1');
        await sm.generateKeyPair(b, 'P-384');
        await sm.writeCertificate(b, cert1);
        const listed = await sm.listSlots();
        assert.ok(Array.isArray(listed));
        const la = listed.find((i) => i.slot === a);
        const lb = listed.find((i) => i.slot === b);
        assert.deepEqual(la && { ...la }, { slot: a, curve: 'brainpoolP384r1', hasCertificate: false });
        assert.deepEqual(lb && { ...lb }, { slot: b, curve: 'P-384', hasCertificate: true });
        assert.equal(new Set(listed.map((i) => i.slot)).size, listed.length, 'each slot once');
        await sm.destroyKey(a);
        assert.ok(!(await sm.listSlots()).some((i) => i.slot === a));
      });

      it('concurrent calls on one module all succeed', async () => {
        const a = slot('conc-a');
        const b = slot('conc-b');
        const [pa, pb] = await Promise.all([sm.generateKeyPair(a, 'P-256'), sm.generateKeyPair(b, 'P-256')]);
        const data = new Uint8Array(32);
        const results = await Promise.all([
          ...Array.from({ length: 8 }, () => sm.sign(a, data, 'SHA-256')),
          sm.ecdh(a, pb.point),
          sm.ecdh(b, pa.point),
          sm.random(32),
          sm.listSlots(),
        ]);
        for (let i = 0; i < 8; i++) assert.ok(verifySignature(pa.spki, data, results[i] as Uint8Array, 'SHA-256'));
        assert.ok(bytesEqual(results[8] as Uint8Array, results[9] as Uint8Array));
      });
    });

    describe('arguments', () => {
      const BAD_SLOTS: unknown[] = [
        '',
        'A',
        'Wan-tls',
        '1slot',
        '-slot',
        'wan tls',
        'wan/tls',
        '../wan-tls',
        'wan_tls',
        'a'.repeat(33),
        'wan-tls\0',
        undefined,
        null,
        42,
        {},
      ];

      it('every slot-taking method refuses bad slot names (SMGW_SM_BAD_ARGUMENT)', async () => {
        for (const bad of BAD_SLOTS) {
          const b = bad as string;
          await rejectsWith(sm.generateKeyPair(b, 'P-256'), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.publicKey(b), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.sign(b, new Uint8Array(1), 'SHA-256'), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.ecdh(b, new Uint8Array(65)), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.writeCertificate(b, cert1), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.readCertificate(b), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.destroyKey(b), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.tlsKey(b), 'SMGW_SM_BAD_ARGUMENT');
        }
        const longest = `${prefix}-long`.padEnd(32, 'a');
        used.add(longest);
        await sm.generateKeyPair(longest, 'P-256'); // 32 characters is allowed
      });

      it('refuses curves and hashes it does not offer (SMGW_SM_BAD_ARGUMENT), and fills no slot doing so', async () => {
        const s = slot('badarg');
        for (const c of ['secp256k1', 'P-521', 'p-256', 'brainpoolP256t1', 'brainpoolP320r1', '', undefined]) {
          await rejectsWith(sm.generateKeyPair(s, c as CurveName), 'SMGW_SM_BAD_ARGUMENT');
        }
        await rejectsWith(sm.publicKey(s), 'SMGW_SM_NO_KEY');
        await sm.generateKeyPair(s, 'P-256');
        for (const h of ['SHA-1', 'MD5', 'sha256', 'SHA-224', 'SHA3-256', '', undefined]) {
          await rejectsWith(sm.sign(s, new Uint8Array(1), h as HashName), 'SMGW_SM_BAD_ARGUMENT');
        }
      });

      it('refuses data and certificates that are not bytes (SMGW_SM_BAD_ARGUMENT)', async () => {
        const s = slot('notbytes');
        await sm.generateKeyPair(s, 'P-256');
        for (const bad of ['abc', 42, undefined, null, [1, 2, 3]]) {
          await rejectsWith(sm.sign(s, bad as unknown as Uint8Array, 'SHA-256'), 'SMGW_SM_BAD_ARGUMENT');
          await rejectsWith(sm.writeCertificate(s, bad as unknown as Uint8Array), 'SMGW_SM_BAD_ARGUMENT');
        }
        await rejectsWith(sm.writeCertificate(s, new Uint8Array(0)), 'SMGW_SM_BAD_ARGUMENT');
        assert.equal(await sm.readCertificate(s), undefined);
      });
    });

    describe('private keys stay inside', () => {
      it('the public surface has no export-like method', () => {
        const names = new Set<string>();
        for (let o: object | null = sm; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
          for (const n of Object.getOwnPropertyNames(o)) if (n !== 'constructor') names.add(n);
        }
        for (const m of INTERFACE_METHODS)
          assert.equal(typeof (sm as unknown as Record<string, unknown>)[m], 'function', m);
        for (const n of names) assert.doesNotMatch(n, EXPORTISH, `public member ${n} looks like a key export`);
      });

      it('tlsKey names the key for OpenSSL: a PEM of this very key (software) or a PKCS#11 URI (token)', async () => {
        const s = slot('tls');
        const pub = await sm.generateKeyPair(s, 'brainpoolP256r1');
        const ref = await sm.tlsKey(s);
        if (ref.kind === 'pem') {
          const key = createPrivateKey(ref.pem);
          const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
          assert.ok(bytesEqual(parseSpki(spki).point, pub.point), 'the PEM is the slot key');
        } else {
          assert.equal(ref.kind, 'engine');
          assert.equal(ref.engine, 'pkcs11');
          assert.match(ref.identifier, /^pkcs11:/);
          assert.match(ref.identifier, /type=private/);
        }
      });

      it('no enumerable property of the module or of any returned value holds the private key', async () => {
        const s = slot('leak');
        const pub = await sm.generateKeyPair(s, 'brainpoolP256r1');
        await sm.writeCertificate(s, cert1);
        const ref = await sm.tlsKey(s);
        const returned: unknown[] = [
          pub,
          await sm.publicKey(s),
          await sm.listSlots(),
          await sm.sign(s, new Uint8Array(32), 'SHA-256'),
          await sm.readCertificate(s),
        ];
        const secrets: Uint8Array[] = [];
        if (ref.kind === 'pem') {
          const pkcs8 = new Uint8Array(createPrivateKey(ref.pem).export({ format: 'der', type: 'pkcs8' }));
          const info = AsnConvert.parse(pkcs8, PrivateKeyInfo);
          const scalar = new Uint8Array(AsnConvert.parse(info.privateKey.buffer, ECPrivateKey).privateKey.buffer);
          assert.equal(scalar.length, 32, 'brainpoolP256r1 private scalar');
          secrets.push(pkcs8, scalar);
          secrets.push(Buffer.from(ref.pem, 'utf8'));
        }
        // Also look for anything PKCS#8- or PEM-shaped, which needs no knowledge of the key.
        const markers = [Buffer.from('PRIVATE KEY'), Buffer.from('BEGIN EC')];
        for (const blob of [...reachableBytes(sm), ...reachableBytes(returned)]) {
          for (const m of markers) assert.ok(!contains(blob, m), 'no PEM private key reachable');
          for (const secret of secrets) assert.ok(!contains(blob, secret), 'private key material reachable');
        }
        if (options.storedBytes && secrets.length > 0) {
          for (const blob of await options.storedBytes()) {
            for (const secret of secrets) assert.ok(!contains(blob, secret), 'private key in clear at rest');
          }
        }
      });
    });

    describe('close', () => {
      it('after close every call is SMGW_SM_CLOSED; close again is a no-op', async () => {
        const other = await open();
        const s = slot('closed');
        await other.generateKeyPair(s, 'P-256');
        await other.close();
        await rejectsWith(other.generateKeyPair(slot('closed2'), 'P-256'), 'SMGW_SM_CLOSED');
        await rejectsWith(other.publicKey(s), 'SMGW_SM_CLOSED');
        await rejectsWith(other.sign(s, new Uint8Array(1), 'SHA-256'), 'SMGW_SM_CLOSED');
        await rejectsWith(other.ecdh(s, new Uint8Array(65)), 'SMGW_SM_CLOSED');
        await rejectsWith(other.random(16), 'SMGW_SM_CLOSED');
        await rejectsWith(other.writeCertificate(s, cert1), 'SMGW_SM_CLOSED');
        await rejectsWith(other.readCertificate(s), 'SMGW_SM_CLOSED');
        await rejectsWith(other.destroyKey(s), 'SMGW_SM_CLOSED');
        await rejectsWith(other.listSlots(), 'SMGW_SM_CLOSED');
        await rejectsWith(other.tlsKey(s), 'SMGW_SM_CLOSED');
        await other.close();
      });
    });
  });
}
