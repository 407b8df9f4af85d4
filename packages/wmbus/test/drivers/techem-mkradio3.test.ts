/**
 * Techem MK Radio 3 water meters (drivers/techem-mkradio3.ts). Telegrams and expected values from
 * the wmbusmeters test corpus (drivers/src/mkradio3.xmq, drivers/src/mkradio3a.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRecord, decodeCorpus, driverRecords } from './helpers.js';

const TAIL = '310000000306060906030609070606050509050505050407040605070500';

describe('techem-mkradio3', () => {
  it('decodes billing and current values and dates (version 74)', () => {
    const t = decodeCorpus(`2F446850313233347462A2069F255900B029${TAIL}`);
    assert.equal(t.driver, 'techem-mkradio3');
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 8.9, storage: 1 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2018-12-31', storage: 1 });
    assertRecord(r, { quantity: 'volume since the last billing date', unit: 'm3', value: 4.9 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 13.8 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2019-04-27' });
  });

  it('gives the current date the billing year or the next one', () => {
    const cases = [
      ['067F245900B029', '2018-03-31', '2018-04-27'],
      ['067F245900F007', '2018-03-31', '2019-03-31'],
      ['067F2459001008', '2018-03-31', '2018-04-01'],
    ] as const;
    for (const [head, billing, current] of cases) {
      const r = driverRecords(decodeCorpus(`2F446850313233347462A2${head}${TAIL}`));
      assertRecord(r, { quantity: 'date', unit: 'date', value: billing, storage: 1 });
      assertRecord(r, { quantity: 'date', unit: 'date', value: current });
    }
  });

  it('decodes the current volume and date of version 50 ("mkradio3a")', () => {
    const r = driverRecords(
      decodeCorpus(
        '36446850420656625072A20C007C3110250000293400373A002E38000E15002F37003A39003835002F24003930001D2500312500162900',
      ),
    );
    assert.deepEqual(
      r.map((x) => [x.quantity, x.value]),
      [
        ['volume', 948.8],
        ['date', '2024-11-28'],
      ],
    );
  });
});
