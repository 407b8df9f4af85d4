/**
 * B METERS Hydrodigit manufacturer data (drivers/bmeters-hydrodigit.ts). Telegrams and expected
 * values from the wmbusmeters test corpus (drivers/src/hydrodigit.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { decodeHydrodigit } from '../../src/drivers/bmeters-hydrodigit.js';
import { assertRecord, decodeCorpus, driverInput, driverRecords } from './helpers.js';

/** Content 15: battery, backflow, monthly totals. */
const H_86868686 =
  '4E44B4098686868613077AF00040052F2F0C1366380000046D27287E2A0F150E00000000C10000D10000E60000FD00000C01002F0100410100540100680100890000A00000B30000002F2F2F2F2F2F';
/** Content 95: with a leak date, and two months before the module was installed. */
const H_87654322 =
  '4944B4092243658713077A7F0000000C1363020400046D242C12360F950A24042507000000A405006E0700850900CA0B004A0E00FFFFFFFFFFFF020000020000250000B3010095030000';
/** Content 03: battery and fraud (no date). */
const H_03245501 = '2444B4090155240317068C00487AC00000000C1335670000046D172EEA280F030000000000';
/** Content 05: battery and backflow only. */
const H_23746391 = '2144B4099163742315077A400000000C1399999999046D092A30340F050B01000000';

describe('bmeters-hydrodigit', () => {
  it('decodes battery, backflow and the monthly totals (86868686)', () => {
    const t = decodeCorpus(H_86868686);
    assert.equal(t.driver, 'bmeters-hydrodigit');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'battery voltage', unit: 'V', value: 3.7 });
    assertRecord(r, { quantity: 'backflow volume', unit: 'm3', value: 0 });
    const months = [1.93, 2.09, 2.3, 2.53, 2.68, 3.03, 3.21, 3.4, 3.6, 1.37, 1.6, 1.79];
    const names = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September'];
    names.push('October', 'November', 'December');
    names.forEach((m, k) => {
      assertRecord(r, { quantity: `volume at end of ${m}`, unit: 'm3', value: months[k] as number });
    });
    // The standard total is still there.
    assertRecord(t.records, { quantity: 'volume', unit: 'm3', value: 3.866 });
  });

  it('decodes the leak date and reports months before installation as null (87654322)', () => {
    const r = driverRecords(decodeCorpus(H_87654322));
    assertRecord(r, { quantity: 'battery voltage', unit: 'V', value: 3.05 });
    assertRecord(r, { quantity: 'date of leak', unit: 'date', value: '2024-04-25' });
    assertRecord(r, { quantity: 'backflow volume', unit: 'm3', value: 0.007 });
    assertRecord(r, { quantity: 'volume at end of January', unit: 'm3', value: 14.44 });
    assertRecord(r, { quantity: 'volume at end of May', unit: 'm3', value: 36.58 });
    // FF FF FF: wmbusmeters prints 0 m3
    assertRecord(r, { quantity: 'volume at end of June', unit: 'm3', value: null });
    assertRecord(r, { quantity: 'volume at end of July', unit: 'm3', value: null });
    assertRecord(r, { quantity: 'volume at end of August', unit: 'm3', value: 0.02 });
    assertRecord(r, { quantity: 'volume at end of December', unit: 'm3', value: 9.17 });
  });

  it('decodes the fraud block (03245501) and a short content byte (23746391)', () => {
    const f = driverRecords(decodeCorpus(H_03245501));
    assertRecord(f, { quantity: 'battery voltage', unit: 'V', value: 3.7 });
    assertRecord(f, { quantity: 'date of fraud', unit: 'date', value: null });
    const b = driverRecords(decodeCorpus(H_23746391));
    assert.deepEqual(
      b.map((x) => [x.quantity, x.value]),
      [
        ['battery voltage', 3.2],
        ['backflow volume', 0.001],
      ],
    );
  });

  it('stops at the end of the data instead of reading past it', () => {
    // content 15, battery, backflow, then one and a half monthly totals
    const r = decodeHydrodigit(
      driverInput({ manufacturer: 'BMT', version: 0x13, manufacturerData: fromHex('150E00000000C10000D100') }),
    ).records;
    assert.deepEqual(
      r.map((x) => x.quantity),
      ['battery voltage', 'backflow volume', 'volume at end of January'],
    );
  });
});
