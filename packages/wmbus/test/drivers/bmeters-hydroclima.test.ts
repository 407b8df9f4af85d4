/**
 * B METERS HydroClima manufacturer data (drivers/bmeters-hydroclima.ts). Telegrams and expected
 * values from the wmbusmeters test corpus (src/driver_hydroclima.cc, drivers/src/hydroclimav2.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords } from './helpers.js';

/** Frame 10 (version 53). */
const HC_68036198 = '2e44b0099861036853087a000020002F2F036E0000000F100043106A7D2C4A078F12202CB1242A06D3062100210000';
/** Frame 11 (version 85), stored decrypted. */
const HC_93000952 =
  '5144B0095209009385088C20807A800040252F2F036E540200436ED90800426C3F3C0F1100009924293400003713DF08BC163633960E8208D401D90879076006DA080809DA08E537000A3500DF1201830900';
/** Frame 11 with a "no value" (8000) in the temperature history. */
const HC_93001021 =
  '5144b0092110009385088c20fb7afb4040252F2F036E000000436E000000426C3F350F110001B9604734CE2E2708FD071B088832940766070000000000000000C407260800802DD400000000000000220000';
/** Without record 03 6E: another layout (RKN9), not decoded. */
const HC_74393723 = '2D44B009233739743308780F9D1300023ED97AEC7BC5908A32C15D8A32C126915AC15AC126912691269187912689';

describe('bmeters-hydroclima', () => {
  it('decodes frame 10 (68036198)', () => {
    const t = decodeCorpus(HC_68036198);
    assert.equal(t.driver, 'bmeters-hydroclima');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'average ambient temperature', unit: '°C', value: 18.66 });
    assertRecord(r, { quantity: 'maximum ambient temperature', unit: '°C', value: 47.51 });
    assertRecord(r, { quantity: 'average ambient temperature, previous period', unit: '°C', value: 15.78 });
    assertRecord(r, { quantity: 'average heater temperature, previous period', unit: '°C', value: 17.47 });
    assertRecord(r, { quantity: 'heat cost allocation, total over all periods', unit: 'HCA', value: 33 });
  });

  it('decodes frame 11 (93000952)', () => {
    const r = driverRecords(decodeCorpus(HC_93000952));
    assertRecord(r, { quantity: 'average heater temperature', unit: '°C', value: 49.19 });
    assertRecord(r, { quantity: 'average ambient temperature', unit: '°C', value: 22.71 });
    assertRecord(r, { quantity: 'maximum ambient temperature', unit: '°C', value: 58.2 });
    assertRecord(r, { quantity: 'average heater temperature, previous period', unit: '°C', value: 37.34 });
    assertRecord(r, { quantity: 'average ambient temperature, previous period', unit: '°C', value: 21.78 });
    [468, 2265, 1913, 1632].forEach((v, k) => {
      assertRecord(r, { quantity: `heat cost allocation (consumption history ${k + 1} of 4)`, unit: 'HCA', value: v });
    });
    [22.66, 23.12, 22.66].forEach((v, k) => {
      assertRecord(r, { quantity: `average ambient temperature (history ${k + 1} of 3)`, unit: '°C', value: v });
    });
    assertRecord(r, { quantity: 'heat cost allocation, total over all periods', unit: 'HCA', value: 2435 });
  });

  it('reads 8000 in the temperature history as no value (93001021)', () => {
    const r = driverRecords(decodeCorpus(HC_93001021));
    assertRecord(r, { quantity: 'average ambient temperature (history 1 of 3)', unit: '°C', value: 19.88 });
    assertRecord(r, { quantity: 'average ambient temperature (history 2 of 3)', unit: '°C', value: 20.86 });
    assertRecord(r, { quantity: 'average ambient temperature (history 3 of 3)', unit: '°C', value: null });
    assertRecord(r, { quantity: 'heat cost allocation, total over all periods', unit: 'HCA', value: 34 });
  });

  it('leaves the RKN9 layout alone (74393723)', () => {
    assert.deepEqual(driverRecords(decodeCorpus(HC_74393723)), []);
  });
});
