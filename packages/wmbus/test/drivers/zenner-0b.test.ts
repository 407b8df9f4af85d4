/**
 * ZENNER EDC B.One manufacturer data (drivers/zenner-0b.ts). Telegrams and expected values from
 * the wmbusmeters test corpus (src/driver_zenner0b.cc).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { decodeZenner0b } from '../../src/drivers/zenner-0b.js';
import { assertRecord, decodeCorpus, driverInput, driverRecords } from './helpers.js';

describe('zenner-0b', () => {
  for (const hex of [
    '1E44496A677308500B167AD80010252F2F0F0000000080BF1B0000A6420000',
    '1E44496A677308500B167AD80010252F2F0F80BF1B0080BF1B0000A6420000',
  ]) {
    it(`decodes both registers in 1/256000 m3 (${hex.slice(-28, -18)})`, () => {
      const t = decodeCorpus(hex);
      assert.equal(t.driver, 'zenner-0b');
      const r = driverRecords(t);
      assertRecord(r, { quantity: 'volume', unit: 'm3', value: 17.062 });
      assertRecord(r, { quantity: 'volume (second register)', unit: 'm3', value: 7.1035 });
    });
  }

  it('decodes nothing from short data', () => {
    const d = fromHex('0000000080BF1B0000A642');
    assert.deepEqual(decodeZenner0b(driverInput({ manufacturer: 'ZRI', manufacturerData: d })).records, []);
  });
});
