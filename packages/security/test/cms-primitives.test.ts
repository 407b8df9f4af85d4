import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { aesKeyUnwrap, aesKeyWrap } from '../src/cms/aes-key-wrap.js';
import { eckaEgReceive, eckaEgSend } from '../src/cms/ecka-eg.js';
import { ID_AES128_WRAP } from '../src/cms/oids.js';
import { eccCmsSharedInfo, x963Kdf } from '../src/cms/x963-kdf.js';
import { CURVE_NAMES, CURVES } from '../src/curves.js';
import { SoftwareSecurityModule } from '../src/module/software-module.js';

describe('ANSI X9.63 KDF with SHA-256', () => {
  // NIST CAVS component test vectors for SP 800-135 ANSI X9.63 KDF, file ansx963_2001.rsp
  // (csrc.nist.gov, Cryptographic Algorithm Validation Program, Component Testing,
  // 800-135testvectors/ansx963_2001.zip), section [SHA-256], COUNT = 0 of each block.
  it('[shared secret length = 192] [SharedInfo length = 0] [key data length = 128]', () => {
    const z = fromHex('96c05619d56c328ab95fe84b18264b08725b85e33fd34f08');
    assert.equal(toHex(x963Kdf(z, new Uint8Array(0), 16)), '443024C3DAE66B95E6F5670601558F71');
  });
  it('[shared secret length = 192] [SharedInfo length = 0] [key data length = 128], second vector', () => {
    const z = fromHex('96f600b73ad6ac5629577eced51743dd2c24c21b1ac83ee4');
    assert.equal(toHex(x963Kdf(z, new Uint8Array(0), 16)), 'B6295162A7804F5667BA9070F82FA522');
  });
  it('[shared secret length = 192] [SharedInfo length = 128] [key data length = 1024] (four hash blocks)', () => {
    const z = fromHex('22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d');
    const info = fromHex('75eef81aa3041e33b80971203d2c0c52');
    assert.equal(
      toHex(x963Kdf(z, info, 128)),
      'C498AF77161CC59F2962B9A713E2B215152D139766CE34A776DF11866A69BF2E52A13D9C7C6FC878C50C5EA0BC7B00E0DA2447CFD874F6CF92F30D0097111485500C90C3AF8B487872D04685D14C8D1DC8D7FA08BEB0CE0ABABC11F0BD496269142D43525A78E5BC79A17F59676A5706DC54D54D4D1F0BD7E386128EC26AFC21',
    );
  });
  it('agrees with `openssl kdf X963KDF` on a CMS SharedInfo', () => {
    const z = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const info = eccCmsSharedInfo(ID_AES128_WRAP, 128);
    const r = spawnSync('openssl', [
      'kdf',
      '-keylen',
      '16',
      '-kdfopt',
      'digest:SHA256',
      '-kdfopt',
      `hexsecret:${toHex(z)}`,
      '-kdfopt',
      `hexinfo:${toHex(info)}`,
      'X963KDF',
    ]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString().trim().replaceAll(':', ''), toHex(x963Kdf(z, info, 16)));
  });
  it('rejects output lengths outside 1..1024', () => {
    assert.throws(() => x963Kdf(new Uint8Array(32), new Uint8Array(0), 0), { code: 'SMGW_CMS_BAD_ARGUMENT' });
    assert.throws(() => x963Kdf(new Uint8Array(32), new Uint8Array(0), 1025), { code: 'SMGW_CMS_BAD_ARGUMENT' });
  });
});

describe('ECC-CMS-SharedInfo (RFC 5753 §7.2)', () => {
  it('encodes keyInfo id-aes128-wrap (parameters absent) and suppPubInfo = 128 bits', () => {
    // SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.1.5 }, [2] { OCTET STRING 00000080 } }
    assert.equal(toHex(eccCmsSharedInfo(ID_AES128_WRAP, 128)), '3015300B0609608648016503040105A206040400000080');
  });
  it('carries a ukm as entityUInfo [0]', () => {
    assert.equal(
      toHex(eccCmsSharedInfo(ID_AES128_WRAP, 128, fromHex('CAFE'))),
      '301B300B0609608648016503040105A0040402CAFEA206040400000080',
    );
  });
});

describe('AES key wrap (RFC 3394)', () => {
  it('§4.1: 128 bits of key data with a 128-bit KEK', () => {
    const kek = fromHex('000102030405060708090A0B0C0D0E0F');
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const wrapped = aesKeyWrap(kek, key);
    assert.equal(toHex(wrapped), '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
    assert.equal(toHex(aesKeyUnwrap(kek, wrapped)), toHex(key));
  });
  it('§4.6: 256 bits of key data with a 256-bit KEK', () => {
    const kek = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const key = fromHex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
    assert.equal(
      toHex(aesKeyWrap(kek, key)),
      '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21',
    );
  });
  it('wraps a 32-byte key (CBC + CMAC content key) under a 128-bit KEK and back', () => {
    const kek = fromHex('000102030405060708090A0B0C0D0E0F');
    const key = new Uint8Array(32).map((_, i) => i * 7);
    const wrapped = aesKeyWrap(kek, key);
    assert.equal(wrapped.length, 40);
    assert.deepEqual(aesKeyUnwrap(kek, wrapped), key);
  });
  it('a changed bit or a wrong KEK fails the integrity check with SMGW_CMS_DECRYPT', () => {
    const kek = fromHex('000102030405060708090A0B0C0D0E0F');
    const wrapped = fromHex('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
    for (let bit = 0; bit < wrapped.length * 8; bit++) {
      const bad = Uint8Array.from(wrapped);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.throws(() => aesKeyUnwrap(kek, bad), { code: 'SMGW_CMS_DECRYPT' });
    }
    assert.throws(() => aesKeyUnwrap(new Uint8Array(16), wrapped), { code: 'SMGW_CMS_DECRYPT' });
    assert.throws(() => aesKeyUnwrap(kek, wrapped.subarray(0, 16)), { code: 'SMGW_CMS_DECRYPT' });
    assert.throws(() => aesKeyUnwrap(kek, wrapped.subarray(0, 23)), { code: 'SMGW_CMS_DECRYPT' });
  });
  it('rejects bad KEK and key lengths as SMGW_CMS_BAD_ARGUMENT', () => {
    assert.throws(() => aesKeyWrap(new Uint8Array(15), new Uint8Array(16)), { code: 'SMGW_CMS_BAD_ARGUMENT' });
    assert.throws(() => aesKeyWrap(new Uint8Array(16), new Uint8Array(12)), { code: 'SMGW_CMS_BAD_ARGUMENT' });
    assert.throws(() => aesKeyWrap(new Uint8Array(16), new Uint8Array(20)), { code: 'SMGW_CMS_BAD_ARGUMENT' });
  });
});

describe('ECKA-EG (TR-03111 §4.3.2.2) with the X9.63 KDF', () => {
  let module: SoftwareSecurityModule;
  before(async () => {
    module = await SoftwareSecurityModule.open();
  });
  after(async () => {
    await module.close();
  });
  const info = eccCmsSharedInfo(ID_AES128_WRAP, 128);

  for (const curve of CURVE_NAMES) {
    it(`${curve}: sender and recipient (key in the module) derive the same KEK; a fresh point each time`, async () => {
      const slot = `enc-${curve.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
      const recipient = await module.generateKeyPair(slot, curve);
      const a = eckaEgSend(recipient, info, 16);
      const b = eckaEgSend(recipient, info, 16);
      assert.equal(a.ephemeralPoint.length, 1 + 2 * CURVES[curve].size);
      assert.equal(a.ephemeralPoint[0], 0x04, 'uncompressed point (TR-03116-3 §3.1)');
      assert.notDeepEqual(a.ephemeralPoint, b.ephemeralPoint);
      assert.notDeepEqual(a.kek, b.kek);
      assert.deepEqual(await eckaEgReceive(module, slot, a.ephemeralPoint, info, 16), a.kek);
    });
  }

  it('the KEK is X9.63(Z) with Z the x-coordinate of the ECDH point (cross-check with createECDH)', async () => {
    const peer = createECDH('brainpoolP256r1');
    peer.generateKeys();
    const point = new Uint8Array(peer.getPublicKey());
    const key = await module.generateKeyPair('enc-check', 'brainpoolP256r1');
    const z = new Uint8Array(peer.computeSecret(key.point));
    assert.deepEqual(await eckaEgReceive(module, 'enc-check', point, info, 16), x963Kdf(z, info, 16));
  });

  it('a point the module refuses is SMGW_CMS_MALFORMED; a missing key stays the module error', async () => {
    await module.generateKeyPair('enc-bad', 'brainpoolP256r1');
    const notOnCurve = new Uint8Array(65).fill(1);
    notOnCurve[0] = 4;
    await assert.rejects(eckaEgReceive(module, 'enc-bad', notOnCurve, info, 16), { code: 'SMGW_CMS_MALFORMED' });
    await assert.rejects(eckaEgReceive(module, 'enc-none', notOnCurve, info, 16), { code: 'SMGW_SM_NO_KEY' });
  });
});
