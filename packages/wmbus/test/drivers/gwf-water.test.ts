/**
 * GWF water meter manufacturer data (drivers/gwf-water.ts). Telegrams and expected values from the
 * wmbusmeters test corpus (drivers/src/gwfwater.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords, YEAR_S } from './helpers.js';

const FLAGS = 'status flags (02 continuous flow, 08 broken pipe, 20 battery low, 40 backflow)';
const LONG_HEADER =
  '3944E61E46441510020E8C04427250076819E61E3C07B10020452F2F03748B05000413DC690D004413A4630D00426C213C02FD74B5140F';

describe('gwf-water', () => {
  it('decodes status and battery (20221031)', () => {
    const t = decodeCorpus(
      '3144E61E31102220010E8C04F47ABE0420452F2F037410000004133E0000004413FFFFFFFF426CFFFF0F0120012F2F2F2F2F',
    );
    assert.equal(t.driver, 'gwf-water');
    const r = driverRecords(t);
    assertRecord(r, { quantity: FLAGS, unit: '', value: 0x20 });
    assertRecord(r, { quantity: 'remaining battery life time', unit: 's', value: 0 });
  });

  it('finds the meter behind the radio module (long header, 19680750)', () => {
    const t = decodeCorpus(`${LONG_HEADER}0100E3`);
    assert.equal(t.meter?.id, '19680750');
    const r = driverRecords(t);
    assertRecord(r, { quantity: FLAGS, unit: '', value: 0 });
    assertRecord(r, { quantity: 'remaining battery life time', unit: 's', value: 14 * YEAR_S });
  });

  it('leaves an unknown layout alone', () => {
    assert.deepEqual(driverRecords(decodeCorpus(`${LONG_HEADER}0200E3`)), []);
  });
});
