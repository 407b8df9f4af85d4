/**
 * Techem Compact V and Vario 4.5.1 heat meters (drivers/techem-heat.ts). Telegrams and expected
 * values from the wmbusmeters test corpus (drivers/src/compact5.xmq, src/driver_vario451.cc).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords, KWH } from './helpers.js';

const CASES = [
  [
    '36446850626262624543A1009F2777010060780000000A000000000000000000000000000000000000000000000000A0400000B4010000',
    375,
    120,
  ],
  [
    '37446850336633663943a210672c866100181c01000480794435d50000000000000000000000000000000000000000000000000000000000',
    24966,
    284,
  ],
  [
    '37446850792055673943A2109F2F13C500608F1D00008066E8A69B26988D335F6411450C564C5145145CA0F1DA35B9DD37A1936BBF3D31D8',
    50451,
    7567,
  ],
  [
    '3d446850221471414543a100ff32406002c8cd0000019f81071f68e001072c0c9106642075B5a6ac6ad229e993376aa7d10e1e5c60c1050000000056fed3',
    155712,
    205,
  ],
] as const;

describe('techem-heat', () => {
  for (const [hex, atBilling, since] of CASES) {
    it(`Compact V: ${atBilling} kWh at the billing date, ${since} kWh since`, () => {
      const t = decodeCorpus(hex);
      assert.equal(t.driver, 'techem-heat');
      const r = driverRecords(t);
      assertRecord(r, { quantity: 'energy', unit: 'Wh', value: atBilling * KWH, storage: 1 });
      assertRecord(r, { quantity: 'energy since the last billing date', unit: 'Wh', value: since * KWH });
      assertRecord(r, { quantity: 'energy', unit: 'Wh', value: (atBilling + since) * KWH });
    });
  }

  it('Vario 4.5.1 counts 0.001 GJ', () => {
    const r = driverRecords(
      decodeCorpus(
        '374468506549235827C3A2129F25383300A8622600008200800A2AF862115175552877A36F26C9AB1CB24400000004000000000004908002',
      ),
    );
    assertRecord(r, { quantity: 'energy', unit: 'J', value: 13.112e9, storage: 1 }); // 3642.22 kWh
    assertRecord(r, { quantity: 'energy since the last billing date', unit: 'J', value: 9.826e9 });
    assertRecord(r, { quantity: 'energy', unit: 'J', value: 22.938e9 }); // 6371.67 kWh
  });
});
