import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CURVE_NAMES,
  CURVES,
  derToRawSignature,
  keyObjectOf,
  parseSpki,
  publicKeyFromPoint,
  rawToDerSignature,
  spkiFromPoint,
  verifySignature,
} from '../src/index.js';

describe('EC public keys and signature encodings (ec-keys.ts)', () => {
  for (const curve of CURVE_NAMES) {
    it(`${curve}: SPKI built from the point equals OpenSSL's; parse and KeyObject round trip`, () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].opensslName });
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      const parsed = parseSpki(spki);
      assert.equal(parsed.curve, curve);
      assert.deepEqual(spkiFromPoint(curve, parsed.point), spki);
      const fromPoint = publicKeyFromPoint(curve, parsed.point);
      assert.deepEqual(fromPoint.spki, spki);
      assert.ok(keyObjectOf(fromPoint).equals(publicKey));
      assert.equal(keyObjectOf(fromPoint), keyObjectOf(fromPoint), 'imported once');

      const data = new TextEncoder().encode('meter reading');
      const der = new Uint8Array(sign(CURVES[curve].hash.replace('-', '').toLowerCase(), data, privateKey));
      const raw = derToRawSignature(der, CURVES[curve].size);
      assert.equal(raw.length, 2 * CURVES[curve].size);
      assert.deepEqual(rawToDerSignature(raw), der);
      assert.equal(verifySignature(spki, data, der, CURVES[curve].hash), true);
      assert.equal(verifySignature(spki, new TextEncoder().encode('other'), der, CURVES[curve].hash), false);
    });
  }

  it('refuses points off the curve, of the wrong length or compressed, with SMGW_SM_BAD_PEER_KEY', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const point = parseSpki(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }))).point;
    const off = new Uint8Array(point);
    off[64] = (off[64] as number) ^ 1;
    for (const bad of [off, point.subarray(0, 64), Uint8Array.of(0x02, ...point.subarray(1, 33))]) {
      assert.throws(() => publicKeyFromPoint('brainpoolP256r1', bad), { code: 'SMGW_SM_BAD_PEER_KEY' });
    }
    assert.throws(() => parseSpki(spkiFromPoint('brainpoolP256r1', point).subarray(1)), {
      code: 'SMGW_SM_BAD_PEER_KEY',
    });
  });
});
