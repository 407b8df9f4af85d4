import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '@opensmgw/core';
import type { Explain } from '../src/explain.js';
import {
  addCrcsFormatA,
  addCrcsFormatB,
  decodeLinkLayer,
  formatALength,
  idFromString,
  idToString,
  MAX_FRAME_LENGTH,
  manufacturerCode,
  manufacturerFlag,
  mediumName,
} from '../src/link-layer.js';

// OMS Vol.2 Annex N.2.1, without and with the format-A CRCs (lvogt/wireless-mbus-parser README).
const N21 = '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';
const N21_A =
  '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A';
// Engelmann SensoStar, frame format B (wmbusmeters tests/test_frame_b_trim.sh).
const ENGELMANN_B =
  'C244C5140443054300048C200E900F002C25895E02003B0877D31DA840B17A0E009007100F8FAD4C4E61400DA4F3B1F7E273CC4C5C07F93CD20B237345DB39F9A98F8415E1C4B7A25C86E4C22D05C3352FA7E2E5627031F14643063F1DC8FE2C32459B6F02E4234B447B18E4BFDA8C4DA9B1EDE6CF29D0B2122A3E8B9DEEBEE3E6DBE6617B4E709EC6B595179CB01C2C0BDE6723A345B708652880C114A58DA07C73AD9EB8ACB17FA0A88F19BC84CB1FC56672DE8A9603FD0C05010002FD0B2111F60B';
// OMS Vol.2 Annex N.2.2, wired long frame.
const N22 = '6820206808FD7278563412931533032A0000000C1427048502046D32371F1502FD1700008916';

describe('link layer: wireless frames', () => {
  it('decodes a CRC-stripped frame: C, M, id, version, device type, medium', () => {
    const { dll, payload, payloadOffset } = decodeLinkLayer(fromHex(N21));
    assert.equal(dll.kind, 'wireless');
    if (dll.kind !== 'wireless') return;
    assert.equal(dll.format, 'stripped');
    assert.equal(dll.cField, 0x44);
    assert.equal(dll.manufacturer, 'ELS');
    assert.equal(dll.id, '12345678');
    assert.equal(dll.version, 0x33);
    assert.equal(dll.deviceType, 3);
    assert.equal(dll.medium, 'gas');
    assert.equal(toHex(dll.mBytes), '9315');
    assert.equal(toHex(dll.aBytes), '785634123303');
    assert.equal(payloadOffset, 10);
    assert.equal(toHex(payload), N21.slice(20));
  });

  it('detects format A, checks and removes its CRCs', () => {
    const explain: Explain = [];
    const { dll, payload } = decodeLinkLayer(fromHex(N21_A), explain);
    assert.equal(dll.format, 'A');
    assert.equal(toHex(payload), N21.slice(20));
    assert.equal(explain.filter((e) => e.text.includes('CRC of block')).length, 4);
  });

  it('rejects a format-A frame with a damaged block with SMGW_WMBUS_CRC', () => {
    const bad = fromHex(N21_A);
    bad[30] = (bad[30] as number) ^ 0x01;
    assert.throws(() => decodeLinkLayer(bad), { code: 'SMGW_WMBUS_CRC', message: /block 3/ });
  });

  it('ignores bytes a receiver appended after a format-A frame (RSSI)', () => {
    const { dll, payload } = decodeLinkLayer(concatBytes(fromHex(N21_A), Uint8Array.of(0xc5)));
    assert.equal(dll.format, 'A');
    assert.equal(toHex(payload), N21.slice(20));
  });

  it('detects format B with two CRCs (L counts them)', () => {
    const { dll, payload } = decodeLinkLayer(fromHex(ENGELMANN_B));
    assert.equal(dll.format, 'B');
    if (dll.kind !== 'wireless') return;
    assert.equal(dll.lField, 0xc2);
    assert.equal(dll.manufacturer, 'EFE');
    assert.equal(dll.id, '43054304');
    assert.equal(payload.length, 0xc2 + 1 - 10 - 4);
    assert.equal(toHex(payload.subarray(0, 3)), '8C200E');
    assert.equal(toHex(payload.subarray(-4)), 'FD0B2111');
  });

  it('with the format known, a damaged format-B frame is a CRC error, not a stripped frame', () => {
    const bad = fromHex(ENGELMANN_B);
    bad[40] = (bad[40] as number) ^ 0xff;
    assert.throws(() => decodeLinkLayer(bad, undefined, 'B'), { code: 'SMGW_WMBUS_CRC' });
    assert.equal(decodeLinkLayer(bad).dll.format, 'stripped');
  });

  it('decodes to the end of the bytes when the L field is too small (qwater quirk)', () => {
    const hex =
      '374493444836351218067ac70000200c13911900004c1391170000426cbf2ccc081391170000c2086cbf2c02bb560000326cffff046d1e02de21fed0';
    const explain: Explain = [];
    const { payload } = decodeLinkLayer(fromHex(hex), explain);
    assert.equal(payload.length, 60 - 10);
    assert.ok(explain.some((e) => e.text.includes('beyond the L field')));
  });

  it('reports a frame shorter than its L field as SMGW_WMBUS_TRUNCATED', () => {
    assert.throws(() => decodeLinkLayer(fromHex(N21.slice(0, -4))), { code: 'SMGW_WMBUS_TRUNCATED' });
    assert.throws(() => decodeLinkLayer(new Uint8Array(0)), { code: 'SMGW_WMBUS_TRUNCATED' });
  });

  it('rejects input longer than any frame (no unbounded work on hostile input)', () => {
    assert.equal(MAX_FRAME_LENGTH, 290);
    const big = new Uint8Array(MAX_FRAME_LENGTH + 1);
    big[0] = 0x2e;
    assert.throws(() => decodeLinkLayer(big), { code: 'SMGW_WMBUS_MALFORMED', message: /longer than any/ });
  });

  it('rejects an L field too small for a header with SMGW_WMBUS_MALFORMED', () => {
    assert.throws(() => decodeLinkLayer(fromHex('0944931578563412330300')), { code: 'SMGW_WMBUS_MALFORMED' });
  });
});

describe('link layer: wired M-Bus', () => {
  it('decodes a long frame (OMS Annex N.2.2)', () => {
    const explain: Explain = [];
    const { dll, payload, payloadOffset } = decodeLinkLayer(fromHex(N22), explain);
    assert.equal(dll.kind, 'wired');
    if (dll.kind !== 'wired') return;
    assert.equal(dll.cField, 0x08);
    assert.equal(dll.primaryAddress, 0xfd);
    assert.equal(payloadOffset, 6);
    assert.equal(toHex(payload), N22.slice(12, -4));
    assert.ok(explain.some((e) => e.text.includes('secondary addressing')));
  });
  it('rejects a wrong checksum with SMGW_WMBUS_CRC', () => {
    const bad = fromHex(N22);
    bad[10] = (bad[10] as number) ^ 0x01;
    assert.throws(() => decodeLinkLayer(bad), { code: 'SMGW_WMBUS_CRC', message: /checksum/ });
  });
  it('rejects E5, short frames and control frames with a clear SMGW_WMBUS_UNSUPPORTED', () => {
    assert.throws(() => decodeLinkLayer(fromHex('E5')), { code: 'SMGW_WMBUS_UNSUPPORTED', message: /E5/ });
    assert.throws(() => decodeLinkLayer(fromHex('105BFE5916')), {
      code: 'SMGW_WMBUS_UNSUPPORTED',
      message: /short frame/,
    });
    // 68 03 03 68 | 53 FE 51 | CS 16: SND_UD control frame, CI 51, no data
    assert.throws(() => decodeLinkLayer(fromHex('6803036853FE51A216')), {
      code: 'SMGW_WMBUS_UNSUPPORTED',
      message: /control frame/,
    });
  });
  it('reports a cut long frame as truncated', () => {
    assert.throws(() => decodeLinkLayer(fromHex(N22.slice(0, 30))), { code: 'SMGW_WMBUS_TRUNCATED' });
  });
});

describe('link layer: helpers', () => {
  it('maps manufacturer flags both ways', () => {
    assert.equal(manufacturerFlag(0x1593), 'ELS');
    assert.equal(manufacturerCode('ELS'), 0x1593);
    assert.equal(manufacturerFlag(manufacturerCode('KAM')), 'KAM');
    assert.throws(() => manufacturerCode('kam'), { code: 'SMGW_WMBUS_ENCODE' });
  });
  it('prints ids as on the meter', () => {
    assert.equal(idToString(fromHex('78563412')), '12345678');
    assert.equal(toHex(idFromString('12345678')), '78563412');
    assert.throws(() => idFromString('1234'), { code: 'SMGW_WMBUS_ENCODE' });
  });
  it('names device types', () => {
    assert.equal(mediumName(7), 'water');
    assert.equal(mediumName(0x37), 'radio converter (meter side)');
    assert.equal(mediumName(0x7f), 'reserved');
  });
  it('adds format-A CRCs that decode back', () => {
    const plain = fromHex(N21);
    assert.equal(toHex(addCrcsFormatA(plain)), N21_A);
    assert.equal(addCrcsFormatA(plain).length, formatALength(plain[0] as number));
  });
  it('adds format-B CRCs (one block and two blocks) that decode back', () => {
    for (const n of [30, 126, 127, 200]) {
      const plain = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
      plain[0] = n - 1;
      const b = addCrcsFormatB(plain);
      const { dll, payload } = decodeLinkLayer(b, undefined, 'B');
      assert.equal(dll.format, 'B');
      assert.equal(toHex(payload), toHex(plain.subarray(10)));
    }
  });
});
