import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { aesCmac, CmacKey, fromHex, toHex } from '../src/index.js';

// RFC 4493 §4 test vectors (AES-128).
const RFC_KEY = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const RFC_M = fromHex(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);

describe('AES-CMAC (RFC 4493)', () => {
  it('examples 1-4: empty, 16, 40 and 64 bytes', () => {
    assert.equal(toHex(aesCmac(RFC_KEY, new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M.subarray(0, 16))), '070A16B46B4D4144F79BDD9DD04A287C');
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M.subarray(0, 40))), 'DFA66747DE9AE63030CA32611497C827');
    assert.equal(toHex(aesCmac(RFC_KEY, RFC_M)), '51F0BEBF7E3B9D92FC49741779363CFE');
  });
  it('one CmacKey serves many messages with the same results', () => {
    const k = new CmacKey(RFC_KEY);
    assert.equal(toHex(k.mac(RFC_M)), '51F0BEBF7E3B9D92FC49741779363CFE');
    assert.equal(toHex(k.mac(new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
    assert.equal(toHex(k.mac(RFC_M.subarray(0, 16))), '070A16B46B4D4144F79BDD9DD04A287C');
  });
  it('long messages (one-call CBC chain) agree with the openssl CLI, around the switch-over length', () => {
    const key = new Uint8Array(randomBytes(16));
    const k = new CmacKey(key);
    for (const length of [112, 127, 128, 129, 144, 145, 1000, 4096]) {
      const message = new Uint8Array(randomBytes(length));
      const expected = execFileSync(
        'openssl',
        ['mac', '-cipher', 'AES-128-CBC', '-macopt', `hexkey:${toHex(key)}`, 'CMAC'],
        { input: message },
      )
        .toString()
        .trim();
      assert.equal(toHex(k.mac(message)), expected, `length ${length}`);
    }
  });
  it('rejects a key that is not 16 bytes with SMGW_CORE_BAD_ARGUMENT', () => {
    assert.throws(() => new CmacKey(new Uint8Array(32)), { code: 'SMGW_CORE_BAD_ARGUMENT' });
  });
});
