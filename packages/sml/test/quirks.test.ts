import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import type { SmlListEntry } from '../src/entries.js';
import { applyListQuirks, dzgSerial, isDzgSignBugMeter, KNOWN_QUIRKS } from '../src/quirks.js';

/** A DZG server ID: 0A 01 'DZG' 00 + the serial number, 4 bytes big-endian. */
const dzg = (serial: number): Uint8Array =>
  Uint8Array.of(
    0x0a,
    0x01,
    0x44,
    0x5a,
    0x47,
    0x00,
    serial >>> 24,
    (serial >>> 16) & 0xff,
    (serial >>> 8) & 0xff,
    serial & 0xff,
  );

const power = (size: number, value: bigint, obis = '0100100700FF'): SmlListEntry => ({
  objName: fromHex(obis),
  unit: 27,
  scaler: -2,
  value: { type: 'int', size, value },
});

describe('meter quirks', () => {
  it('reads the DZG serial number from the server ID', () => {
    assert.equal(dzgSerial(fromHex('0A01445A4700039E2054')), 60694612); // "1 DZG 00 60694612"
    assert.equal(dzgSerial(fromHex('0A01445A470002632316')), 40051478); // the DWSB20 of the fixtures
    assert.equal(dzgSerial(fromHex('0A01454D480000000001')), undefined); // EMH
    assert.equal(dzgSerial(fromHex('0A01445A4700039E20')), undefined);
    assert.equal(dzgSerial(undefined), undefined);
  });

  it('knows the affected DVS74 serial ranges (libsml PR #136)', () => {
    assert.equal(isDzgSignBugMeter(dzg(42_082_910)), true); // the DVS7412.2 that showed the bug
    assert.equal(isDzgSignBugMeter(dzg(55_000_000)), true);
    assert.equal(isDzgSignBugMeter(dzg(58_999_999)), true);
    assert.equal(isDzgSignBugMeter(dzg(41_999_999)), false);
    assert.equal(isDzgSignBugMeter(dzg(49_000_000)), false);
    assert.equal(isDzgSignBugMeter(dzg(60_694_611)), false); // fixed firmware
    assert.equal(isDzgSignBugMeter(dzg(40_051_478)), false); // DWSB20: sends negative values correctly
  });

  it('reads a short "negative" 16.7.0 of an affected meter as unsigned (53 80 25 -> 328.05 W)', () => {
    const r = applyListQuirks(dzg(42_082_910), power(2, -32731n));
    assert.deepEqual(r.applied, ['dzg-unsigned-power']);
    assert.deepEqual(r.entry.value, { type: 'uint', size: 2, value: 32805n });
    const one = applyListQuirks(dzg(42_082_910), power(1, -1n));
    assert.deepEqual(one.entry.value, { type: 'uint', size: 1, value: 255n });
  });

  it('leaves everything else alone', () => {
    const negative4 = power(4, -126061n); // 55 FF FE 13 93: a real negative value
    assert.deepEqual(applyListQuirks(dzg(42_082_910), negative4).applied, []);
    const mtr2neg = power(2, -10550n); // 53 D6 CA from a fixed meter: really -105.50 W
    assert.deepEqual(applyListQuirks(dzg(60_694_611), mtr2neg), { entry: mtr2neg, applied: [] });
    const otherObis = power(2, -32731n, '0100240700FF');
    assert.deepEqual(applyListQuirks(dzg(42_082_910), otherObis).applied, []);
    const positive = power(2, 100n);
    assert.deepEqual(applyListQuirks(dzg(42_082_910), positive).applied, []);
    assert.deepEqual(applyListQuirks(undefined, power(2, -32731n)).applied, []);
  });

  it('documents every quirk it handles', () => {
    const ids = KNOWN_QUIRKS.map((q) => q.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ['dzg-unsigned-power', 'kermit-crc', 'bare-time', 'short-integers'])
      assert.ok(ids.includes(id), id);
  });
});
