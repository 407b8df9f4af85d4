/**
 * Apator CI A0 counters (drivers/apator-08.ts). Telegrams and expected totals from the wmbusmeters
 * test corpus (drivers/src/apator08.xmq, drivers/src/apator172.xmq and its older test).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords } from './helpers.js';

describe('apator-08', () => {
  it('reads thirds of a litre (apator08, versions 0F and 03)', () => {
    const a = decodeCorpus('1C441486069C14000F0FA042F214000040030000000005FF0472BF1400');
    assert.equal(a.driver, 'apator-08');
    assertRecord(driverRecords(a), { quantity: 'volume', unit: 'm3', value: 1372738 / 3000 }); // 457.579333
    const b = decodeCorpus(
      '73441486DD4444000303A0B9E527004C4034B31CED0106FF01D093270065F022009661230054D02300EC49240018B424005F012500936D2500FFD525000E3D26001EAC26000B2027000300000000371D0B2000000000000024000000000000280000000000002C0033150C010D2F000000000000',
    );
    assertRecord(driverRecords(b), { quantity: 'volume', unit: 'm3', value: 871.571 });
  });

  it('reads thirds of a cubic metre (apator172, version 04 type 11)', () => {
    const t = decodeCorpus('1C44148607A814000411A01D5400000840030000000005FF05D83D0000');
    assertRecord(driverRecords(t), { quantity: 'volume', unit: 'm3', value: 21533 / 3 }); // 7177.666667
    const u = decodeCorpus('1C44148607A814000411A0215400000840030000000005FF05D83D0000');
    assertRecord(driverRecords(u), { quantity: 'volume', unit: 'm3', value: 7179 });
  });
});
