/**
 * The PKCS#11 backend against SoftHSM2: the shared conformance suite, then what only a token
 * has: non-extractable keys (asked of the module, of the token directly and of pkcs11-tool),
 * token objects that outlive a session, the PIN and token checks of open(), process-wide
 * sharing of the library, and the ephemeral ECDH secret leaving no object behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { bytesEqual, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { verifySignature } from '../src/ec-keys.js';
import { SecurityModuleError } from '../src/errors.js';
import { openSecurityModule } from '../src/module/open-module.js';
import { fromPkcs11Error } from '../src/module/pkcs11-errors.js';
import { acquireLibrary, releaseLibrary } from '../src/module/pkcs11-library.js';
import { Pkcs11SecurityModule } from '../src/module/pkcs11-module.js';
import { pkcs11Uri, pkcs11UriEscape } from '../src/module/pkcs11-uri.js';
import { rejectsWith, securityModuleConformance } from './conformance-suite.js';
import { opensslSelfSignedDer } from './pki-openssl.js';
import { createSoftHsmEnvironment, type SoftHsmToken, softhsmUnavailableReason } from './softhsm.js';

const unavailable = softhsmUnavailableReason();

describe('PKCS#11 URIs (RFC 7512)', () => {
  it('keeps unreserved characters and percent-encodes the rest as UTF-8', () => {
    assert.equal(pkcs11UriEscape('wan-tls'), 'wan-tls');
    assert.equal(pkcs11UriEscape('SMGW test;2'), 'SMGW%20test%3B2');
    assert.equal(pkcs11UriEscape('a/b=c%d'), 'a%2Fb%3Dc%25d');
    assert.equal(pkcs11UriEscape('Zähler'), 'Z%C3%A4hler');
    assert.equal(
      pkcs11Uri({ token: 'GW token', object: 'wan-tls', type: 'private' }),
      'pkcs11:token=GW%20token;object=wan-tls;type=private',
    );
  });
});

describe('PKCS#11 error mapping', () => {
  const pkcs11Error = (ckr: string) => Object.assign(new Error(`${ckr}:160`), { name: 'Pkcs11Error' });

  it('maps PIN errors to SMGW_SM_WRONG_PIN, unsupported curves to SMGW_SM_BAD_ARGUMENT, the rest to SMGW_SM_BACKEND', () => {
    for (const ckr of ['CKR_PIN_INCORRECT', 'CKR_PIN_LOCKED', 'CKR_PIN_LEN_RANGE', 'CKR_PIN_EXPIRED']) {
      assert.equal(fromPkcs11Error(pkcs11Error(ckr), 'C_Login').code, 'SMGW_SM_WRONG_PIN', ckr);
    }
    assert.equal(fromPkcs11Error(pkcs11Error('CKR_CURVE_NOT_SUPPORTED'), 'x').code, 'SMGW_SM_BAD_ARGUMENT');
    assert.equal(fromPkcs11Error(pkcs11Error('CKR_GENERAL_ERROR'), 'x').code, 'SMGW_SM_BACKEND');
    assert.equal(fromPkcs11Error(new TypeError('Parameter 1 must be a Buffer'), 'x').code, 'SMGW_SM_BACKEND');
    assert.equal(fromPkcs11Error('a string', 'x').code, 'SMGW_SM_BACKEND');
    const mapped = fromPkcs11Error(pkcs11Error('CKR_DEVICE_REMOVED'), 'C_Sign');
    assert.deepEqual(mapped.detail, { ckr: 'CKR_DEVICE_REMOVED', operation: 'C_Sign' });
    assert.match(mapped.message, /C_Sign.*CKR_DEVICE_REMOVED.*removed/);
  });

  it('passes SecurityModuleErrors through unchanged', () => {
    const e = new SecurityModuleError('SMGW_SM_NO_KEY', 'x');
    assert.equal(fromPkcs11Error(e, 'y'), e);
  });
});

if (unavailable !== undefined) {
  describe('PKCS#11 backend (SoftHSM2)', () => {
    it('runs against SoftHSM2', { skip: unavailable }, () => {});
  });
} else {
  // One SoftHSM2 environment for the file, every token made before the first open (softhsm.ts).
  const env = createSoftHsmEnvironment();
  const main = env.addToken('smgw-conformance');
  const second = env.addToken('SMGW test;2', '2222222222');
  const scratch = env.addToken('smgw-scratch');
  after(() => env.cleanup());

  const open = (t: SoftHsmToken, extra: { pin?: string; tokenLabel?: string } = {}) =>
    Pkcs11SecurityModule.open({ library: t.library, tokenLabel: t.tokenLabel, pin: t.pin, ...extra });

  securityModuleConformance('pkcs11 (SoftHSM2)', () => open(main));

  describe('PKCS#11 backend (SoftHSM2): token specifics', () => {
    it('private keys are sensitive and never extractable: module, token attributes, CKA_VALUE unreadable', async () => {
      const sm = await open(scratch);
      try {
        for (const curve of ['brainpoolP256r1', 'P-384'] as const) {
          const slot = `nx-${curve.toLowerCase()}`;
          await sm.generateKeyPair(slot, curve);
          assert.deepEqual(await sm.keyProtection(slot), {
            sensitive: true,
            extractable: false,
            alwaysSensitive: true,
            neverExtractable: true,
            privateValueReadable: false,
          });
        }
        // Asked of the token directly, on our own session of the shared library, not through
        // the module: CKA_EXTRACTABLE false, CKA_SENSITIVE true, CKA_VALUE refused.
        const lib = acquireLibrary(scratch.library);
        const a = lib.api;
        const slotHandle = lib.p
          .C_GetSlotList(true)
          .find((s) => lib.p.C_GetTokenInfo(s).label.trim() === scratch.tokenLabel);
        assert.ok(slotHandle);
        const session = lib.p.C_OpenSession(slotHandle, a.CKF_SERIAL_SESSION);
        try {
          lib.p.C_FindObjectsInit(session, [
            { type: a.CKA_CLASS, value: a.CKO_PRIVATE_KEY },
            { type: a.CKA_LABEL, value: 'nx-brainpoolp256r1' },
          ]);
          const [key] = lib.p.C_FindObjects(session, 2);
          lib.p.C_FindObjectsFinal(session);
          assert.ok(key, 'the private key object is on the token');
          const [ext, sens] = lib.p.C_GetAttributeValue(session, key, [
            { type: a.CKA_EXTRACTABLE },
            { type: a.CKA_SENSITIVE },
          ]);
          assert.deepEqual([ext?.value, sens?.value], [Buffer.from([0]), Buffer.from([1])]);
          assert.throws(
            () => lib.p.C_GetAttributeValue(session, key, [{ type: a.CKA_VALUE }]),
            /CKR_ATTRIBUTE_SENSITIVE/,
          );
        } finally {
          lib.p.C_CloseSession(session);
          releaseLibrary(lib, true);
        }
        await sm.destroyKey('nx-p-384');
      } finally {
        await sm.close();
      }
    });

    it('pkcs11-tool (OpenSC, another process) sees the key as sensitive, always sensitive, never extractable, generated on the token', {
      skip: spawnSync('pkcs11-tool', ['--help']).error ? 'pkcs11-tool (opensc) not installed' : false,
    }, async () => {
      const tool = (args: string[]) =>
        spawnSync(
          'pkcs11-tool',
          ['--module', scratch.library, '--token-label', scratch.tokenLabel, '--login', '--pin', scratch.pin, ...args],
          { env: { ...process.env, SOFTHSM2_CONF: env.confPath }, encoding: 'utf8' },
        );
      const sm = await open(scratch);
      try {
        await sm.generateKeyPair('nx-tool', 'brainpoolP256r1');
        const listed = tool(['--list-objects', '--type', 'privkey']);
        assert.equal(listed.status, 0, listed.stderr);
        const block = listed.stdout.split(/\n(?=Private Key Object)/).find((b) => b.includes('label:      nx-tool'));
        assert.ok(block, listed.stdout);
        assert.match(block, /Access:\s+sensitive, always sensitive, never extractable, local/);
        assert.match(block, new RegExp(`ID:\\s+${Buffer.from('nx-tool').toString('hex')}`), 'CKA_ID = slot name');
        await sm.destroyKey('nx-tool');
      } finally {
        await sm.close();
      }
    });

    it('ECDH with peer points whose bytes read like a DER header (04 7F ... on brainpoolP512r1) equals node', async () => {
      // SoftHSM2 tries a DER parse of publicData first; the raw point 04 7F <127 bytes> parsed as
      // an OCTET STRING and failed (CKR_GENERAL_ERROR, ~1 key in 256). The module sends DER.
      const sm = await open(scratch);
      try {
        const mine = await sm.generateKeyPair('derlike', 'brainpoolP512r1');
        let tried = 0;
        let found = 0;
        while (found < 3 && tried < 20_000) {
          tried++;
          const peer = createECDH('brainpoolP512r1');
          peer.generateKeys();
          const point = peer.getPublicKey();
          if (point[1] !== 0x7f) continue;
          found++;
          const z = await sm.ecdh('derlike', new Uint8Array(point));
          assert.ok(bytesEqual(z, peer.computeSecret(Buffer.from(mine.point))), 'same Z as node');
        }
        assert.equal(found, 3, `three such peer keys among ${tried}`);
      } finally {
        await sm.destroyKey('derlike');
        await sm.close();
      }
    });

    it('keys and certificates are token objects: they survive close and reopen', async () => {
      const cert = opensslSelfSignedDer({ curve: 'prime256v1', subject: '/CN=persist', days: 1 });
      const first = await open(scratch);
      const pub = await first.generateKeyPair('persist', 'brainpoolP384r1');
      await first.writeCertificate('persist', cert);
      await first.close();
      // Every module closed: the library was finalized, so this is a fresh C_Initialize + login.
      const again = await open(scratch);
      try {
        assert.ok(bytesEqual((await again.publicKey('persist')).point, pub.point));
        const data = new TextEncoder().encode('after reopen');
        assert.ok(verifySignature(pub.spki, data, await again.sign('persist', data, 'SHA-384'), 'SHA-384'));
        assert.ok(bytesEqual((await again.readCertificate('persist')) ?? new Uint8Array(0), cert));
        const listed = (await again.listSlots()).find((s) => s.slot === 'persist');
        assert.deepEqual(listed && { ...listed }, { slot: 'persist', curve: 'brainpoolP384r1', hasCertificate: true });
      } finally {
        await again.destroyKey('persist');
        await again.close();
      }
    });

    it('a wrong PIN is SMGW_SM_WRONG_PIN, whether or not the token is logged in already; the PIN is in no message', async () => {
      const wrong = 'not-the-pin-4711';
      const check = (e: unknown) => {
        assert.ok(e instanceof SecurityModuleError);
        assert.equal(e.code, 'SMGW_SM_WRONG_PIN');
        assert.ok(!JSON.stringify(e.toJSON()).includes(wrong), 'PIN in the error');
        assert.ok(!String(e.stack).includes(wrong), 'PIN in the stack');
        assert.ok(!String((e.cause as Error | undefined)?.message ?? '').includes(wrong), 'PIN in the cause');
        return true;
      };
      await assert.rejects(open(second, { pin: wrong }), check);
      const opened = await open(second);
      try {
        // C_Login would answer CKR_USER_ALREADY_LOGGED_IN without looking at the PIN: the module
        // checks it against the login it made.
        await assert.rejects(open(second, { pin: wrong }), check);
        const twin = await open(second);
        await twin.close();
      } finally {
        await opened.close();
      }
      await assert.rejects(open(second, { pin: wrong }), check);
    });

    it('unknown token label, missing or broken library, missing arguments are typed errors', async () => {
      await assert.rejects(open(main, { tokenLabel: 'no-such-token' }), (e: unknown) => {
        assert.ok(e instanceof SecurityModuleError);
        assert.equal(e.code, 'SMGW_SM_BACKEND');
        assert.match(e.message, /no token labelled "no-such-token".*smgw-conformance/);
        return true;
      });
      await rejectsWith(
        Pkcs11SecurityModule.open({ library: '/nonexistent/libnothing.so', tokenLabel: 'x', pin: '1' }),
        'SMGW_SM_BACKEND',
      );
      await rejectsWith(
        Pkcs11SecurityModule.open({ library: env.confPath, tokenLabel: 'x', pin: '1' }),
        'SMGW_SM_BACKEND',
      );
      await rejectsWith(open(main, { pin: '' }), 'SMGW_SM_BAD_ARGUMENT');
      await rejectsWith(open(main, { tokenLabel: '' }), 'SMGW_SM_BAD_ARGUMENT');
      // After all these failures the library still serves a good open.
      const ok = await open(main);
      await ok.close();
    });

    it('two modules on one token share the library: closing one leaves the other working', async () => {
      const a = await open(scratch);
      const b = await open(scratch);
      const pub = await a.generateKeyPair('shared', 'P-256');
      await a.close();
      const data = new Uint8Array([1, 2, 3]);
      assert.ok(verifySignature(pub.spki, data, await b.sign('shared', data, 'SHA-256'), 'SHA-256'));
      await b.destroyKey('shared');
      await b.close();
    });

    it('a token label with spaces and ";" opens and is percent-encoded in the TLS key URI', async () => {
      const sm = await open(second);
      try {
        await sm.generateKeyPair('wan-tls', 'brainpoolP256r1');
        assert.deepEqual(await sm.tlsKey('wan-tls'), {
          kind: 'engine',
          engine: 'pkcs11',
          identifier: 'pkcs11:token=SMGW%20test%3B2;object=wan-tls;type=private',
        });
        await sm.destroyKey('wan-tls');
      } finally {
        await sm.close();
      }
    });

    it('ECKA-DH leaves no derived secret object behind (ephemeral, TR-03116-3 §3.1)', async () => {
      const sm = await open(scratch);
      const lib = acquireLibrary(scratch.library);
      const a = lib.api;
      const slotHandle = lib.p.C_GetSlotList(true).find((s) => lib.p.C_GetTokenInfo(s).label.trim() === 'smgw-scratch');
      assert.ok(slotHandle);
      const session = lib.p.C_OpenSession(slotHandle, a.CKF_SERIAL_SESSION | a.CKF_RW_SESSION);
      // Session objects are visible to every session of the application that made them.
      const secrets = () => {
        lib.p.C_FindObjectsInit(session, [{ type: a.CKA_CLASS, value: a.CKO_SECRET_KEY }]);
        const found = lib.p.C_FindObjects(session, 100);
        lib.p.C_FindObjectsFinal(session);
        return found.length;
      };
      try {
        // The probe sees session objects made elsewhere in this process.
        const probe = lib.p.C_CreateObject(session, [
          { type: a.CKA_CLASS, value: a.CKO_SECRET_KEY },
          { type: a.CKA_KEY_TYPE, value: a.CKK_GENERIC_SECRET },
          { type: a.CKA_TOKEN, value: false },
          { type: a.CKA_VALUE, value: Buffer.alloc(16, 7) },
        ]);
        assert.equal(secrets(), 1);
        lib.p.C_DestroyObject(session, probe);
        assert.equal(secrets(), 0);

        await sm.generateKeyPair('dh', 'brainpoolP512r1');
        const peer = createECDH('brainpoolP512r1');
        const z = await sm.ecdh('dh', new Uint8Array(peer.generateKeys()));
        assert.equal(z.length, 64);
        assert.equal(secrets(), 0, 'the derived CKO_SECRET_KEY was destroyed');
        await sm.destroyKey('dh');
      } finally {
        lib.p.C_CloseSession(session);
        releaseLibrary(lib, true);
        await sm.close();
      }
    });

    it('hostile peer keys and certificate bytes give only SecurityModuleErrors (property)', async () => {
      const sm = await open(scratch);
      try {
        await sm.generateKeyPair('fuzz', 'P-256');
        await fc.assert(
          fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), async (bytes) => {
            try {
              await sm.ecdh('fuzz', bytes);
            } catch (e) {
              assert.ok(isSmgwError(e) && e.code === 'SMGW_SM_BAD_PEER_KEY', String(e));
            }
          }),
          { numRuns: 150 },
        );
        await fc.assert(
          fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
            await sm.writeCertificate('fuzz', bytes);
            assert.ok(bytesEqual((await sm.readCertificate('fuzz')) ?? new Uint8Array(0), bytes));
          }),
          { numRuns: 40 },
        );
        await sm.destroyKey('fuzz');
      } finally {
        await sm.close();
      }
    });

    it('onClose keep-login leaves the login to the other users of the library in the process; logout ends it', async () => {
      // Stand-in for the OpenSSL engine: our own session on the shared library, opened before the
      // module logs in (tls-pkcs11.test.ts runs the real engine beside a module).
      const lib = acquireLibrary(scratch.library);
      const a = lib.api;
      const slotHandle = lib.p.C_GetSlotList(true).find((s) => lib.p.C_GetTokenInfo(s).label.trim() === 'smgw-scratch');
      assert.ok(slotHandle);
      const engineSession = lib.p.C_OpenSession(slotHandle, a.CKF_SERIAL_SESSION);
      const privateKeysVisible = () => {
        lib.p.C_FindObjectsInit(engineSession, [{ type: a.CKA_CLASS, value: a.CKO_PRIVATE_KEY }]);
        const found = lib.p.C_FindObjects(engineSession, 100);
        lib.p.C_FindObjectsFinal(engineSession);
        return found.length > 0;
      };
      try {
        const keeper = await Pkcs11SecurityModule.open({ ...scratch, onClose: 'keep-login' });
        await keeper.generateKeyPair('keep', 'P-256');
        assert.ok(privateKeysVisible(), 'the login is process-wide');
        await keeper.close();
        assert.ok(privateKeysVisible(), 'keep-login: still logged in after close');
        // The kept login still checks the PIN of later opens.
        await rejectsWith(open(scratch, { pin: 'wrong-pin-123' }), 'SMGW_SM_WRONG_PIN');
        const last = await open(scratch); // onClose: logout (default)
        await last.destroyKey('keep');
        await last.close();
        assert.equal(privateKeysVisible(), false, 'logout: the other session lost the login');
      } finally {
        lib.p.C_CloseSession(engineSession);
        releaseLibrary(lib, true);
      }
    });

    it('openSecurityModule({ backend: "pkcs11" }) opens the token', async () => {
      const sm = await openSecurityModule({ backend: 'pkcs11', ...main });
      try {
        assert.equal(sm.kind, 'pkcs11');
        assert.equal((await sm.random(12)).length, 12);
      } finally {
        await sm.close();
      }
    });
  });
}
