/**
 * Qundis walk-by record (drivers/qundis-walk-by.ts). Telegrams and expected values from the
 * wmbusmeters test corpus (src/driver_qwater.cc, driver_qheat.cc, driver_qcaloric.cc,
 * drivers/src/qwaterv2.xmq), except where a comment says why a value differs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords, KWH } from './helpers.js';

const QWATER_78563412 =
  '49449344123456781606780DFF5F3500824E00007F0007C113FFFF63961300DF2C82731200FE2463811300A400F200D100A900DD00E000E90006011601EA0027010F012F046D0211F225';
const QWATER_12353648 =
  '4b449344483635121806780dff5f350082da0000600107c113ffff48200000bf2c91170000df2120200000008001000000060019001000160018000d001300350017002f046d370cc422c759';
/** Behind a radio converter (enhanced identification record 07 79). */
const QWATER_37439212 =
  '5344934412924337353778077912924337934435070DFF5F3500828A0000100007C113FFFF966600001F3C000000003E3419580000008000800080008000800080008000005A0094009C00BB002F046D010F3235';
const QCALORIC_90919293 =
  '49449344939291903408780DFF5F350082180000800007B06EFFFF970000009F2C70020000BE26970000000000010018002E001F002E0023FF210008000500020000002F046D220FA227';
const QHEAT_31547698 =
  '5344934411345678233778077998765431934423040dff5f350082fe00005f0107c005ffff68223500df2c80253200fe24251535005c03030000000000af03f508e91e1d2efc236e1fa218fe142f046d1911f225';
/** A Q heat meter counting in 100 kJ: walk-by record and standard telegram of the same day. */
const QHEAT_68204641_WALK_BY =
  '58449344414620684737780779414620689344470C0DFF5F3500825A00000E0007C00DFFFF310803001F3C036800003E34310803000080008000800080008000800000931A92293128190C00002F02FD170000046D000F3235';
const QHEAT_68204641_STANDARD =
  '4144934441462068473772414620689344470C5B0000200C0D310803004C0D03680000426C1F3CCC080D31080300C2086C3E3402FD170000326CFFFF046D000F3235';

describe('qundis-walk-by', () => {
  it('decodes a Q water walk-by record (78563412)', () => {
    const t = decodeCorpus(QWATER_78563412);
    assert.equal(t.driver, 'qundis-walk-by');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 139.663 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 127.382, storage: 1 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2022-12-31', storage: 1 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 138.163, storage: 17 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2023-04-30', storage: 17 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: null, function: 'error' });
    const history = [0.164, 0.242, 0.209, 0.169, 0.221, 0.224, 0.233, 0.262, 0.278, 0.234, 0.295, 0.271];
    history.forEach((v, k) => {
      assertRecord(r, { quantity: `volume difference (walk-by history entry ${k + 1} of 12)`, unit: 'm3', value: v });
    });
  });

  it('reads 8000 in a history slot as no value (12353648)', () => {
    const r = driverRecords(decodeCorpus(QWATER_12353648));
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 2.048 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 1.791, storage: 1 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 2.02, storage: 17 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2022-01-31', storage: 17 });
    // wmbusmeters prints volume_delta_2_m3 = -32.768 for these bytes (00 80)
    assertRecord(r, { quantity: 'volume difference (walk-by history entry 1 of 12)', unit: 'm3', value: null });
    assertRecord(r, { quantity: 'volume difference (walk-by history entry 2 of 12)', unit: 'm3', value: 0.001 });
    assertRecord(r, { quantity: 'volume difference (walk-by history entry 12 of 12)', unit: 'm3', value: 0.023 });
  });

  it('finds the meter behind a radio converter (37439212)', () => {
    const t = decodeCorpus(QWATER_37439212);
    assert.equal(t.meter?.id, '37439212');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 6.696 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 0, storage: 1 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2024-12-31', storage: 1 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 5.819, storage: 17 });
  });

  it('decodes heat cost allocation units (Q caloric 90919293) without history differences', () => {
    const r = driverRecords(decodeCorpus(QCALORIC_90919293));
    assertRecord(r, { quantity: 'heat cost allocation', unit: 'HCA', value: 97 });
    assertRecord(r, { quantity: 'heat cost allocation', unit: 'HCA', value: 270, storage: 1 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2020-12-31', storage: 1 });
    assertRecord(r, { quantity: 'heat cost allocation', unit: 'HCA', value: 97, storage: 17 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2021-06-30', storage: 17 });
    assert.equal(r.filter((x) => x.quantity.startsWith('volume difference')).length, 0);
  });

  it('decodes energy in 100 Wh (Q heat 31547698)', () => {
    const r = driverRecords(decodeCorpus(QHEAT_31547698));
    assertRecord(r, { quantity: 'energy', unit: 'Wh', value: 35226.8 * KWH });
    assertRecord(r, { quantity: 'energy', unit: 'Wh', value: 32258 * KWH, storage: 1 });
    assertRecord(r, { quantity: 'energy', unit: 'Wh', value: 35152.5 * KWH, storage: 17 });
  });

  it("takes the unit from the record (100 kJ), agreeing with the same meter's standard telegram", () => {
    // wmbusmeters assumes 100 Wh here and prints 3083.1 kWh; the standard telegram says 0C 0D.
    const walkBy = driverRecords(decodeCorpus(QHEAT_68204641_WALK_BY));
    const standard = decodeCorpus(QHEAT_68204641_STANDARD).records;
    for (const [storage, joule] of [
      [0, 3083.1e6],
      [1, 680.3e6],
      [17, 3083.1e6],
    ] as const) {
      assertRecord(walkBy, { quantity: 'energy', unit: 'J', value: joule, storage });
      assertRecord(standard, { quantity: 'energy', unit: 'J', value: joule, storage });
    }
  });

  it('adds nothing to a standard Qundis telegram', () => {
    assert.deepEqual(driverRecords(decodeCorpus(QHEAT_68204641_STANDARD)), []);
  });
});
