import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { type AflFields, aflMacInput, decodeAfl, FCL, FragmentBuffer, verifyAflMac } from '../src/afl.js';
import { CmacKey, deriveMode7Keys } from '../src/security.js';

// OMS mode-7 example (oms_security_vectors.jsonl #3): AFL after ELL 8C, then the TPDU.
const AFL = '900F002C25B30A000021924D4F2FB66E01';
const TPDU = '7A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93';
const MASTER = fromHex('000102030405060708090A0B0C0D0E0F');

describe('AFL', () => {
  it('decodes FCL, MCL, MCR and MAC', () => {
    const { afl, rest } = decodeAfl(fromHex(AFL + TPDU));
    assert.equal(afl.fcl, 0x2c00);
    assert.equal(afl.fragmentId, 0);
    assert.equal(afl.moreFragments, false);
    assert.equal(afl.mcl, 0x25);
    assert.equal(afl.counter, 2739);
    assert.equal(toHex(afl.counterBytes ?? new Uint8Array(0)), 'B30A0000');
    assert.equal(toHex(afl.mac ?? new Uint8Array(0)), '21924D4F2FB66E01');
    assert.equal(afl.keyInfo, null);
    assert.equal(afl.messageLength, null);
    assert.equal(toHex(rest), TPDU);
  });

  it('verifies the MAC over MCL || MCR || TPDU with K_MAC, and rejects a tampered one', () => {
    const { afl, rest } = decodeAfl(fromHex(AFL + TPDU));
    assert.equal(toHex(aflMacInput(afl, rest).subarray(0, 6)), '25B30A00007A');
    const kMac = new CmacKey(deriveMode7Keys(MASTER, fromHex('B30A0000'), fromHex('78563412')).kMac);
    assert.equal(verifyAflMac(afl, rest, kMac), true);
    const tampered = fromHex(AFL + TPDU);
    tampered[13] = 0x3f; // MAC byte 4: 2F -> 3F
    const t = decodeAfl(tampered);
    assert.equal(verifyAflMac(t.afl, t.rest, kMac), false);
    const changedTpdu = rest.slice();
    changedTpdu[20] = (changedTpdu[20] as number) ^ 1;
    assert.equal(verifyAflMac(afl, changedTpdu, kMac), false);
  });

  it('rejects inconsistent lengths and unknown authentication types', () => {
    assert.throws(() => decodeAfl(fromHex('9010002C25B30A000021924D4F2FB66E01')), { code: 'SMGW_WMBUS_TRUNCATED' });
    assert.throws(() => decodeAfl(fromHex('900E002C25B30A000021924D4F2FB66E017A')), { code: 'SMGW_WMBUS_MALFORMED' });
    assert.throws(() => decodeAfl(fromHex('9010002C25B30A000021924D4F2FB66E01FF7A')), { code: 'SMGW_WMBUS_MALFORMED' });
    assert.throws(() => decodeAfl(fromHex('9001007A')), { code: 'SMGW_WMBUS_MALFORMED' });
    // MAC present, no MCL: its length is unknown
    assert.throws(() => decodeAfl(fromHex('900A000C B30A0000 21924D4F'.replace(/ /g, ''))), {
      code: 'SMGW_WMBUS_MALFORMED',
    });
    // authentication type 2 is reserved
    assert.throws(() => decodeAfl(fromHex('900B002C22B30A000021924D4F')), { code: 'SMGW_WMBUS_UNSUPPORTED' });
    assert.throws(() => decodeAfl(fromHex('90')), { code: 'SMGW_WMBUS_TRUNCATED' });
  });
});

function fragment(id: number, more: boolean, extra: Partial<AflFields> = {}): AflFields {
  return {
    fcl: id | (more ? FCL.moreFragments : 0),
    fragmentId: id,
    moreFragments: more,
    mcl: null,
    keyInfo: null,
    counter: null,
    counterBytes: null,
    mac: null,
    messageLength: null,
    ...extra,
  };
}

describe('AFL fragment reassembly', () => {
  it('joins fragments 1..n and merges their fields', () => {
    const b = new FragmentBuffer();
    assert.equal(
      b.add(fragment(1, true, { mcl: 0x25, counter: 7, counterBytes: fromHex('07000000') }), fromHex('7A0102')),
      null,
    );
    assert.equal(b.mcl, 0x25);
    assert.equal(b.add(fragment(2, true), fromHex('0304')), null);
    const whole = b.add(fragment(3, false, { mac: fromHex('0102030405060708') }), fromHex('05'));
    assert.ok(whole);
    assert.equal(toHex(whole.tpdu), '7A0102030405');
    assert.equal(whole.afl.mcl, 0x25);
    assert.equal(whole.afl.counter, 7);
    assert.equal(toHex(whole.afl.mac ?? new Uint8Array(0)), '0102030405060708');
  });
  it('discards on a gap or a repeated field', () => {
    const b = new FragmentBuffer();
    b.add(fragment(1, true, { mcl: 0x25 }), fromHex('7A'));
    assert.throws(() => b.add(fragment(3, false), fromHex('00')), { code: 'SMGW_WMBUS_FRAGMENT' });
    const c = new FragmentBuffer();
    c.add(fragment(1, true, { mcl: 0x25 }), fromHex('7A'));
    assert.throws(() => c.add(fragment(2, false, { mcl: 0x25 }), fromHex('00')), { code: 'SMGW_WMBUS_FRAGMENT' });
  });
  it('bounds the number of fragments and bytes', () => {
    const b = new FragmentBuffer();
    for (let i = 1; i <= 16; i++) b.add(fragment(i, true), new Uint8Array(10));
    assert.throws(() => b.add(fragment(17, false), new Uint8Array(10)), { code: 'SMGW_WMBUS_FRAGMENT' });
    const c = new FragmentBuffer();
    assert.throws(() => c.add(fragment(1, true), new Uint8Array(5000)), { code: 'SMGW_WMBUS_FRAGMENT' });
  });
});
