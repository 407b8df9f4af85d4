import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, reversed, toHex } from '@opensmgw/core';
import { decodeAfl } from '../src/afl.js';
import { KeyCache } from '../src/security.js';
import {
  ciInfo,
  decodeTransportHeader,
  decryptTransport,
  type SecurityContext,
  securityModeName,
} from '../src/transport-layer.js';

const N21_TPDU = '7A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';
const N21_KEY = fromHex('0102030405060708090A0B0C0D0E0F11');
const N21_PLAIN = '2F2F0C1427048502046D32371F1502FD1700002F2F2F2F2F2F2F2F2F2F2F2F2F';
const ELS = { mBytes: fromHex('9315'), aBytes: fromHex('785634123303') };

function ctx(tpdu: Uint8Array, key: Uint8Array | null, extra: Partial<SecurityContext> = {}): SecurityContext {
  return { key, simulatedPlaintext: false, ...ELS, afl: null, tpdu, ...extra };
}

describe('transport layer: headers', () => {
  it('decodes a short header: access number, status, configuration', () => {
    const { header, body } = decodeTransportHeader(fromHex(N21_TPDU));
    assert.equal(header.ci, 0x7a);
    assert.equal(header.kind, 'short');
    assert.equal(header.content, 'records');
    assert.equal(header.accessNumber, 0x2a);
    assert.equal(header.status, 0);
    assert.equal(header.configuration, 0x2520);
    assert.equal(header.mode, 5);
    assert.equal(header.encryptedCount, 2);
    assert.equal(header.long, null);
    assert.equal(header.length, 5);
    assert.equal(body.length, 32);
  });
  it('decodes a long header: the meter address (OMS Annex N.5.3)', () => {
    const { header } = decodeTransportHeader(
      fromHex('7288776655934455080004100500DFE2A782146D1513581CD2F83F39040CFD1078563412'),
    );
    assert.equal(header.kind, 'long');
    assert.equal(header.long?.id, '55667788');
    assert.equal(header.long?.manufacturer, 'QDS');
    assert.equal(header.long?.version, 0x55);
    assert.equal(header.long?.deviceType, 8);
    assert.equal(header.long?.medium, 'heat cost allocator');
    assert.equal(toHex(header.long?.aBytes ?? new Uint8Array(0)), '887766555508');
    assert.equal(header.accessNumber, 0);
    assert.equal(header.mode, 5);
    assert.equal(header.encryptedCount, 1);
  });
  it('decodes the mode-7 configuration extension (KDF selection)', () => {
    const { header } = decodeTransportHeader(fromHex('7A7500200710AABB'));
    assert.equal(header.mode, 7);
    assert.equal(header.configurationExtension, 0x10);
    assert.equal(header.kdf, 1);
    assert.equal(header.length, 6);
  });
  it('knows no-header CIs, compact frames and manufacturer CIs', () => {
    assert.equal(decodeTransportHeader(fromHex('78 0C13')).header.kind, 'none');
    assert.equal(ciInfo(0x79)?.content, 'compact');
    assert.equal(ciInfo(0xa2)?.content, 'manufacturer');
    assert.equal(ciInfo(0x8a)?.content, 'none');
  });
  it('rejects an unknown CI and cut headers', () => {
    assert.throws(() => decodeTransportHeader(fromHex('10AABB')), { code: 'SMGW_WMBUS_UNSUPPORTED' });
    assert.throws(() => decodeTransportHeader(fromHex('7A2A00')), { code: 'SMGW_WMBUS_TRUNCATED' });
    assert.throws(() => decodeTransportHeader(fromHex('72887766')), { code: 'SMGW_WMBUS_TRUNCATED' });
    assert.throws(() => decodeTransportHeader(fromHex('7A75002007')), { code: 'SMGW_WMBUS_TRUNCATED' });
    assert.throws(() => decodeTransportHeader(new Uint8Array(0)), { code: 'SMGW_WMBUS_TRUNCATED' });
  });
  it('names security modes', () => {
    assert.equal(securityModeName(5), 'AES-128-CBC with IV');
    assert.equal(securityModeName(13), 'TLS (OMS security profile C)');
    assert.equal(securityModeName(20), 'manufacturer specific');
  });
});

describe('transport layer: security modes', () => {
  it('mode 5 decrypts with the IV from M, A and the access number', () => {
    const tpdu = fromHex(N21_TPDU);
    const { header, body } = decodeTransportHeader(tpdu);
    const r = decryptTransport(header, body, ctx(tpdu, N21_KEY));
    assert.equal(r.decrypted, true);
    assert.equal(r.mac, 'absent');
    assert.equal(toHex(r.apl), N21_PLAIN);
  });
  it('mode 5 with partial encryption keeps the plain tail (OMS Annex N.5.3)', () => {
    const tpdu = fromHex('7288776655934455080004100500DFE2A782146D1513581CD2F83F39040CFD1078563412');
    const { header, body } = decodeTransportHeader(tpdu);
    const long = header.long;
    assert.ok(long);
    const r = decryptTransport(header, body, ctx(tpdu, fromHex('000102030405060708090A0B0C0D0E0F'), long));
    assert.equal(toHex(r.apl), '2F2F0B6E341200426CFE044B6E5634020CFD1078563412');
  });
  it('mode 5 with a wrong key says "wrong key"; with the byte-reversed key it says so', () => {
    const tpdu = fromHex(N21_TPDU);
    const { header, body } = decodeTransportHeader(tpdu);
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, fromHex('0102030405060708090A0B0C0D0E0F12'))), {
      code: 'SMGW_WMBUS_DECRYPT',
      message: /does not start with 2F2F: wrong key$/,
    });
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, reversed(N21_KEY))), {
      code: 'SMGW_WMBUS_DECRYPT',
      message: /byte-reversed key decrypts it/,
    });
  });
  it('an encrypted telegram without key is SMGW_WMBUS_NO_KEY', () => {
    const tpdu = fromHex(N21_TPDU);
    const { header, body } = decodeTransportHeader(tpdu);
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, null)), {
      code: 'SMGW_WMBUS_NO_KEY',
      message: /mode 5/,
    });
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, null, { simulatedPlaintext: true })), {
      code: 'SMGW_WMBUS_NO_KEY',
    });
  });
  it('simulatedPlaintext takes a plaintext that claims mode 5 as plaintext when there is no key', () => {
    const tpdu = fromHex(`7A2A002025${N21_PLAIN}`);
    const { header, body } = decodeTransportHeader(tpdu);
    const r = decryptTransport(header, body, ctx(tpdu, null, { simulatedPlaintext: true }));
    assert.equal(r.decrypted, false);
    assert.equal(toHex(r.apl), N21_PLAIN);
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, null)), { code: 'SMGW_WMBUS_NO_KEY' });
  });

  // OMS mode-7 example: AFL and TPDU after ELL 8C.
  const AFL = '900F002C25B30A000021924D4F2FB66E01';
  const TPDU7 = '7A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93';
  const MK = fromHex('000102030405060708090A0B0C0D0E0F');
  function mode7(aflHex: string, key: Uint8Array | null, cache?: KeyCache) {
    const { afl, rest } = decodeAfl(fromHex(aflHex + TPDU7));
    const { header, body } = decodeTransportHeader(rest);
    return decryptTransport(header, body, ctx(rest, key, { afl, ...(cache ? { keyCache: cache } : {}) }));
  }
  it('mode 7 verifies the AFL MAC, then decrypts with K_Enc', () => {
    const r = mode7(AFL, MK);
    assert.equal(r.mac, 'verified');
    assert.equal(r.decrypted, true);
    assert.equal(toHex(r.apl), N21_PLAIN);
    const cache = new KeyCache();
    assert.equal(toHex(mode7(AFL, MK, cache).apl), N21_PLAIN);
    assert.equal(toHex(mode7(AFL, MK, cache).apl), N21_PLAIN);
    assert.equal(cache.size, 1);
  });
  it('mode 7: a tampered MAC or a wrong key is SMGW_WMBUS_MAC, "wrong key, or counter/ID mismatch"', () => {
    assert.throws(() => mode7(AFL.replace('21924D4F2F', '21924D4F3F'), MK), {
      code: 'SMGW_WMBUS_MAC',
      message: /wrong key, or counter\/ID mismatch/,
    });
    assert.throws(() => mode7(AFL, fromHex('000102030405060708090A0B0C0D0E0E')), { code: 'SMGW_WMBUS_MAC' });
    assert.throws(() => mode7(AFL, reversed(MK)), { code: 'SMGW_WMBUS_MAC', message: /byte-reversed key/ });
    // another counter: the derived keys change, the MAC fails
    assert.throws(() => mode7(AFL.replace('B30A0000', 'B40A0000'), MK), { code: 'SMGW_WMBUS_MAC' });
  });
  it('mode 7 with KDF-A but no AFL counter is malformed', () => {
    const tpdu = fromHex(TPDU7);
    const { header, body } = decodeTransportHeader(tpdu);
    assert.throws(() => decryptTransport(header, body, ctx(tpdu, MK)), { code: 'SMGW_WMBUS_MALFORMED' });
  });
  it('mode 2 (DES) decrypts the wmbusmeters actislink telegram', () => {
    const tpdu = fromHex('7A01001002BBD1EAFD0222F871CB70DA16C78AE098');
    const { header, body } = decodeTransportHeader(tpdu);
    assert.equal(header.mode, 2);
    assert.equal(header.encryptedCount, 16);
    const r = decryptTransport(header, body, ctx(tpdu, fromHex('0102030405060708')));
    assert.equal(toHex(r.apl), '2F2F0413E80300002F2F2F2F2F2F2F2F');
  });
  it('mode 13 is recognised and reported unsupported; reserved modes too; 16–31 pass through', () => {
    const m13 = fromHex('7A01000D0D00112233');
    const h13 = decodeTransportHeader(m13);
    assert.throws(() => decryptTransport(h13.header, h13.body, ctx(m13, null)), {
      code: 'SMGW_WMBUS_UNSUPPORTED',
      message: /mode 13/,
    });
    const m9 = fromHex('7A0100000900112233');
    const h9 = decodeTransportHeader(m9);
    assert.throws(() => decryptTransport(h9.header, h9.body, ctx(m9, N21_KEY)), { code: 'SMGW_WMBUS_UNSUPPORTED' });
    const m21 = fromHex('7A01004515AABBCC');
    const h21 = decodeTransportHeader(m21);
    const r = decryptTransport(h21.header, h21.body, ctx(m21, null));
    assert.equal(r.manufacturerSpecific, true);
    assert.equal(toHex(r.apl), 'AABBCC');
  });
  it('mode 0 passes the body through, key or not', () => {
    const tpdu = fromHex('7A010000000C1312345678');
    const { header, body } = decodeTransportHeader(tpdu);
    assert.equal(toHex(decryptTransport(header, body, ctx(tpdu, N21_KEY)).apl), '0C1312345678');
  });
});
