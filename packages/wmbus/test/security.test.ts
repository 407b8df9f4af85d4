import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesCtr,
  CachedKey,
  CmacKey,
  deriveMode7Keys,
  desCbcDecrypt,
  desCbcEncrypt,
  ellIv,
  KeyCache,
  kdfInput,
  mode5Iv,
} from '../src/security.js';

// RFC 4493 §4 test vectors (also used by wmbusmeters' testinternals test_kdf).
const RFC_KEY = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const RFC_M = fromHex(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);

describe('AES-CMAC (RFC 4493)', () => {
  it('example 1: empty message', () => {
    assert.equal(toHex(aesCmac(RFC_KEY, new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
  });
  it('example 2: one complete block', () => {
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M.subarray(0, 16))), '070A16B46B4D4144F79BDD9DD04A287C');
  });
  it('example 3: 40 bytes (incomplete last block)', () => {
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M.subarray(0, 40))), 'DFA66747DE9AE63030CA32611497C827');
  });
  it('example 4: 64 bytes', () => {
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M)), '51F0BEBF7E3B9D92FC49741779363CFE');
  });
  it('one CmacKey serves many messages with the same results', () => {
    const k = new CmacKey(RFC_KEY);
    assert.equal(toHex(k.mac(RFC_M.subarray(0, 16))), '070A16B46B4D4144F79BDD9DD04A287C');
    assert.equal(toHex(k.mac(new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
    assert.equal(toHex(k.mac(RFC_M)), '51F0BEBF7E3B9D92FC49741779363CFE');
  });
  it('rejects a key that is not 16 bytes with SMGW_WMBUS_DECRYPT', () => {
    assert.throws(() => aesCmac(new Uint8Array(8), new Uint8Array(0)), { code: 'SMGW_WMBUS_DECRYPT' });
  });
});

describe('KeyCache', () => {
  it('CachedKey decrypts CBC like aesCbcDecrypt and reuses its objects', () => {
    const key = fromHex('0102030405060708090A0B0C0D0E0F11');
    const iv = fromHex('93157856341233032A2A2A2A2A2A2A2A');
    const ct = fromHex('5923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3');
    const k = new CachedKey(key);
    for (let i = 0; i < 3; i++) assert.equal(toHex(k.cbcDecrypt(iv, ct)), toHex(aesCbcDecrypt(key, iv, ct)));
    assert.equal(toHex(k.cbcDecrypt(iv, ct.subarray(0, 16))), toHex(aesCbcDecrypt(key, iv, ct.subarray(0, 16))));
    assert.equal(k.cmac, k.cmac);
    assert.equal(toHex(new CachedKey(RFC_KEY).cmac.mac(new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
  });
  it('returns the same object for the same key and stays bounded', () => {
    const cache = new KeyCache(2);
    const a = cache.get(fromHex('000102030405060708090A0B0C0D0E0F'));
    assert.equal(cache.get(fromHex('000102030405060708090A0B0C0D0E0F')), a);
    cache.get(fromHex('00000000000000000000000000000001'));
    cache.get(fromHex('00000000000000000000000000000002'));
    assert.equal(cache.size, 2);
    cache.clear();
    assert.equal(cache.size, 0);
  });
});

describe('mode-7 KDF (TR-03116-3 §7, EN 13757-7 §9.6.1)', () => {
  // OMS mode-7 example (lvogt/wireless-mbus-parser; oms_security_vectors.jsonl #3)
  const mk = fromHex('000102030405060708090A0B0C0D0E0F');
  const counter = fromHex('B30A0000');
  const id = fromHex('78563412');
  it('builds the input DC || C || ID || 07×7', () => {
    assert.equal(toHex(kdfInput(0x00, counter, id)), '00B30A00007856341207070707070707');
    assert.equal(toHex(kdfInput(0x01, counter, id)), '01B30A00007856341207070707070707');
  });
  it('derives K_Enc and K_MAC of the OMS example', () => {
    const k = deriveMode7Keys(mk, counter, id);
    assert.equal(toHex(k.kEnc), 'ECCF39D475D730B8284FDFDC1995D52F');
    assert.equal(toHex(k.kMac), 'C9CD19FF5A9AAD5A6BBDA13BD2C4C7AD');
  });
  it('derives K_Enc of the Engelmann SensoStar (frame format B vector)', () => {
    const k = deriveMode7Keys(fromHex('622b9656991ff0c1574c0950cf9278d1'), fromHex('895E0200'), fromHex('04430543'));
    assert.equal(toHex(k.kEnc), 'BB13AB0FBBC1F043BDAA104CC8D2D428');
  });
  it('derives the partner keys with DC 10/11', () => {
    const k = deriveMode7Keys(mk, counter, id, 'toMeter');
    assert.equal(toHex(k.kEnc), toHex(aesCmac(mk, kdfInput(0x10, counter, id))));
    assert.equal(toHex(k.kMac), toHex(aesCmac(mk, kdfInput(0x11, counter, id))));
  });
});

describe('IVs', () => {
  it('mode 5: M || A || ACC×8 (OMS Annex N.2.1)', () => {
    assert.equal(toHex(mode5Iv(fromHex('9315'), fromHex('785634123303'), 0x2a)), '93157856341233032A2A2A2A2A2A2A2A');
  });
  it('ELL: M || A || CC without H and R || SN || 000000 (jMBus Kamstrup vector)', () => {
    assert.equal(
      toHex(ellIv(fromHex('2D2C'), fromHex('692845631B16'), 0x30, fromHex('209CD621'))),
      '2D2C692845631B1620209CD621000000',
    );
    // R (0x02) is cleared too: a repeater may set it.
    assert.equal(
      toHex(ellIv(fromHex('2D2C'), fromHex('692845631B16'), 0x32, fromHex('209CD621'))),
      '2D2C692845631B1620209CD621000000',
    );
  });
});

describe('ciphers', () => {
  const key = fromHex('0102030405060708090A0B0C0D0E0F11');
  const iv = fromHex('93157856341233032A2A2A2A2A2A2A2A');
  it('AES-CBC decrypts the OMS Annex N.2.1 payload', () => {
    const ct = fromHex('5923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3');
    assert.equal(toHex(aesCbcDecrypt(key, iv, ct)), '2F2F0C1427048502046D32371F1502FD1700002F2F2F2F2F2F2F2F2F2F2F2F2F');
    assert.equal(toHex(aesCbcEncrypt(key, iv, aesCbcDecrypt(key, iv, ct))), toHex(ct));
  });
  it('AES-CBC refuses partial blocks with SMGW_WMBUS_MALFORMED', () => {
    assert.throws(() => aesCbcDecrypt(key, iv, new Uint8Array(15)), { code: 'SMGW_WMBUS_MALFORMED' });
  });
  it('AES-CTR is its own inverse and handles partial blocks', () => {
    const data = fromHex('000102030405060708090A0B0C0D0E0F1011121314');
    assert.equal(toHex(aesCtr(key, iv, aesCtr(key, iv, data))), toHex(data));
  });
  it('DES-CBC (mode 2) decrypts the actislink test telegram of wmbusmeters', () => {
    const plain = desCbcDecrypt(
      fromHex('0102030405060708'),
      new Uint8Array(8),
      fromHex('BBD1EAFD0222F871CB70DA16C78AE098'),
    );
    assert.equal(toHex(plain), '2F2F0413E80300002F2F2F2F2F2F2F2F');
    assert.equal(
      toHex(desCbcEncrypt(fromHex('0102030405060708'), new Uint8Array(8), plain)),
      'BBD1EAFD0222F871CB70DA16C78AE098',
    );
  });
  it('DES needs an 8-byte key', () => {
    assert.throws(() => desCbcDecrypt(key, new Uint8Array(8), new Uint8Array(8)), { code: 'SMGW_WMBUS_DECRYPT' });
  });
});
