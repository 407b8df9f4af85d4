import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, reversed, toHex } from '@opensmgw/core';
import { crc16En13757 } from '../src/crc.js';
import { decodeEll, type EllContext } from '../src/ell.js';
import type { Explain } from '../src/explain.js';
import { decodeLinkLayer } from '../src/link-layer.js';

// jMBus DecryptionTest / lvogt extendedLinkLayer.spec: Kamstrup cold water meter, ELL CI 8D, AES-CTR.
const KAMSTRUP = '24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B846';
const KAMSTRUP_KEY = fromHex('4E5508544202058100DFEFA06B0934A5');

function ctxOf(
  hex: string,
  key: Uint8Array | null,
  simulatedPlaintext = false,
): { ctx: EllContext; bytes: Uint8Array } {
  const { dll, payload } = decodeLinkLayer(fromHex(hex));
  if (dll.kind !== 'wireless') throw new Error('wireless expected');
  return { ctx: { mBytes: dll.mBytes, aBytes: dll.aBytes, key, simulatedPlaintext }, bytes: payload };
}

/** An ELL 8D whose SN says AES-CTR but whose payload is plain, with a valid payload CRC. */
function plainClaimingEncryption(rest: Uint8Array): Uint8Array {
  const crc = crc16En13757(rest);
  return concatBytes(fromHex('8D2000'), fromHex('01000020'), Uint8Array.of(crc & 0xff, crc >> 8), rest);
}

describe('ELL', () => {
  it('decrypts CI 8D with AES-CTR and checks the payload CRC', () => {
    const { ctx, bytes } = ctxOf(KAMSTRUP, KAMSTRUP_KEY);
    const explain: Explain = [];
    const r = decodeEll(bytes, ctx, explain, 10);
    assert.equal(r.decrypted, true);
    assert.equal(r.ell.ci, 0x8d);
    assert.equal(r.ell.cc, 0x30);
    assert.equal(r.ell.accessNumber, 0x50);
    assert.equal(r.ell.encryption, 'aes-ctr');
    assert.equal(r.ell.payloadCrc, 0x2b13);
    assert.equal(toHex(r.payload), '7802FF2000000413803C070044139F380700');
    assert.ok(explain.some((e) => e.text.includes('payload CRC 2B13 OK')));
  });

  it('says "wrong key" when the CRC does not match after decryption', () => {
    const { ctx, bytes } = ctxOf(KAMSTRUP, fromHex('4E5508544202058100DFEFA06B0934AF'));
    assert.throws(() => decodeEll(bytes, ctx), { code: 'SMGW_WMBUS_DECRYPT', message: /wrong key$/ });
  });

  it('suggests the byte-reversed key when that one decrypts', () => {
    const { ctx, bytes } = ctxOf(KAMSTRUP, reversed(KAMSTRUP_KEY));
    assert.throws(() => decodeEll(bytes, ctx), {
      code: 'SMGW_WMBUS_DECRYPT',
      message: /byte-reversed key decrypts it/,
    });
  });

  it('without a key: SMGW_WMBUS_NO_KEY', () => {
    const { ctx, bytes } = ctxOf(KAMSTRUP, null);
    assert.throws(() => decodeEll(bytes, ctx), { code: 'SMGW_WMBUS_NO_KEY' });
  });

  it('simulatedPlaintext takes an "encrypted" ELL with a plain payload and matching CRC as plaintext', () => {
    const ctx: EllContext = {
      mBytes: fromHex('2D2C'),
      aBytes: fromHex('692845631B16'),
      key: null,
      simulatedPlaintext: true,
    };
    const rest = fromHex('7802FF2000000413803C070044139F380700');
    const r = decodeEll(plainClaimingEncryption(rest), ctx);
    assert.equal(r.decrypted, false);
    assert.equal(toHex(r.payload), toHex(rest));
    // but not when the CRC does not match (it really is encrypted), nor without the option
    assert.throws(() => decodeEll(fromHex(KAMSTRUP).subarray(10), ctx), { code: 'SMGW_WMBUS_NO_KEY' });
    assert.throws(() => decodeEll(plainClaimingEncryption(rest), { ...ctx, simulatedPlaintext: false }), {
      code: 'SMGW_WMBUS_NO_KEY',
    });
  });

  it('checks the payload CRC of an unencrypted CI 8D', () => {
    const ctx: EllContext = {
      mBytes: fromHex('2D2C'),
      aBytes: fromHex('692845631B16'),
      key: null,
      simulatedPlaintext: false,
    };
    const rest = fromHex('78040E01000000');
    const crc = crc16En13757(rest);
    const good = concatBytes(fromHex('8D200001000000'), Uint8Array.of(crc & 0xff, crc >> 8), rest);
    assert.equal(toHex(decodeEll(good, ctx).payload), toHex(rest));
    const bad = good.slice();
    bad[10] = (bad[10] as number) ^ 1;
    assert.throws(() => decodeEll(bad, ctx), { code: 'SMGW_WMBUS_CRC' });
  });

  it('decodes CI 8C (CC, ACC) and 8E (receiver address)', () => {
    const ctx: EllContext = {
      mBytes: fromHex('2448'),
      aBytes: fromHex('443322110337'),
      key: null,
      simulatedPlaintext: false,
    };
    const r8c = decodeEll(fromHex('8C2075900F'), ctx);
    assert.equal(r8c.ell.accessNumber, 0x75);
    assert.equal(toHex(r8c.payload), '900F');
    // CEN/TR 17167 F.3: ELL 8E with the receiver address
    const r8e = decodeEll(fromHex('8E80753A63665544330A31900F'), ctx);
    assert.equal(r8e.ell.address?.manufacturer, 'XYZ');
    assert.equal(r8e.ell.address?.id, '33445566');
    assert.equal(toHex(r8e.payload), '900F');
  });

  it('reports ELL V, reserved encryption and truncation with stable codes', () => {
    const ctx: EllContext = {
      mBytes: fromHex('2D2C'),
      aBytes: fromHex('692845631B16'),
      key: null,
      simulatedPlaintext: false,
    };
    assert.throws(() => decodeEll(fromHex('8600'), ctx), { code: 'SMGW_WMBUS_UNSUPPORTED' });
    assert.throws(() => decodeEll(fromHex('8D20000100004000007A'), ctx), { code: 'SMGW_WMBUS_UNSUPPORTED' });
    assert.throws(() => decodeEll(fromHex('8D2000010000'), ctx), { code: 'SMGW_WMBUS_TRUNCATED' });
  });
});
