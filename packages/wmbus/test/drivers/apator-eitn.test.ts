/**
 * Apator E-ITN heat cost allocators (drivers/apator-eitn.ts). Telegrams and expected values from
 * the wmbusmeters test corpus (drivers/src/apatoreitn.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { decodeApatorEitn } from '../../src/drivers/apator-eitn.js';
import { assertRecord, decodeCorpus, driverInput, driverRecords } from './helpers.js';

describe('apator-eitn', () => {
  it('decodes CI A0 (37373731)', () => {
    const t = decodeCorpus('19440186313737370408A0A1000059001C270100322DE413B415');
    assert.equal(t.driver, 'apator-eitn');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'heat cost allocation', unit: 'HCA', value: 1 });
    assertRecord(r, { quantity: 'heat cost allocation, previous season', unit: 'HCA', value: 89 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2022-09-18' });
    assertRecord(r, { quantity: 'date of electronic seal break', unit: 'date', value: '2019-08-28' });
    assertRecord(r, { quantity: 'average room temperature, current season', unit: '°C', value: 21.703125 });
    assertRecord(r, { quantity: 'average room temperature, previous season', unit: '°C', value: 19.890625 });
  });

  it('decodes CI B6 with a skipped prefix (37373732, 37373733)', () => {
    const a = driverRecords(
      decodeCorpus('25441486323737370408B60AFFFFF5450186F41B9D58A0A100007809000000001F2D6416C819'),
    );
    assertRecord(a, { quantity: 'heat cost allocation', unit: 'HCA', value: 0 });
    assertRecord(a, { quantity: 'heat cost allocation, previous season', unit: 'HCA', value: 2424 });
    assertRecord(a, { quantity: 'date', unit: 'date', value: '2022-08-31' });
    assertRecord(a, { quantity: 'date of electronic seal break', unit: 'date', value: null });
    assertRecord(a, { quantity: 'average room temperature, current season', unit: '°C', value: 25.78125 });
    assertRecord(a, { quantity: 'average room temperature, previous season', unit: '°C', value: 22.390625 });
    const b = driverRecords(
      decodeCorpus('29441486333737370408B60EFFFFF1460186EC1B934EE91BA57BA0A1000059009C250100322DE413B415'),
    );
    assertRecord(b, { quantity: 'date of electronic seal break', unit: 'date', value: '2018-12-28' });
    assertRecord(b, { quantity: 'heat cost allocation', unit: 'HCA', value: 1 });
  });

  it('decodes nothing when the B6 prefix is not followed by A0 or the block is short', () => {
    const apl = fromHex('02FFFF A1 0000 5900 1C27 0100 322D E413 B415');
    assert.deepEqual(decodeApatorEitn(driverInput({ manufacturer: 'APA', ci: 0xb6, apl })).records, []);
    const short = fromHex('A1000059001C270100322DE413B4'); // 14 of 15 bytes
    assert.deepEqual(decodeApatorEitn(driverInput({ manufacturer: 'APA', ci: 0xa0, apl: short })).records, []);
    const length = fromHex('FF');
    assert.deepEqual(decodeApatorEitn(driverInput({ manufacturer: 'APA', ci: 0xb6, apl: length })).records, []);
  });
});
