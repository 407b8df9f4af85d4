/**
 * Diehl "real data" frames (drivers/diehl-real-data.ts) and SAP PRIOS frames given their A field
 * as sent (drivers/diehl-prios.ts). Telegrams and expected values from the wmbusmeters test
 * corpus (drivers/src/dmesharky.xmq "sharky" mode-21 telegram; src/driver_izar.cc SAP frames).
 * The unscramblers seed on frame bytes as sent (the link header and transport header of a
 * DriverInput); the tests call them directly and through the whole pipeline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { unscramblePrios } from '../../src/drivers/diehl-prios.js';
import { decodeDiehlRealData } from '../../src/drivers/diehl-real-data.js';
import { uintLE } from '../../src/drivers/driver-record.js';
import { decodeToReport } from '../../src/report.js';
import { assertRecord, driverInput, KWH } from './helpers.js';

const SHARKY =
  '534424232004256092687A370045752235854DEEEA5939FAD81C25FEEF5A23C38FB9168493C563F08DB10BAF87F660FBA91296BA2397E8F4220B86D3A192FB51E0BFCF24DCE72118E0C75A9E89F43BDFE370824B';

describe('diehl-real-data', () => {
  it('unscrambles a mode-21 Sharky frame with a default key into standard records', () => {
    const f = fromHex(SHARKY);
    const out = decodeDiehlRealData(f.subarray(2, 15), f.subarray(15), null);
    assert.ok(out);
    const r = out.records;
    assertRecord(r, { quantity: 'energy', unit: 'Wh', value: 2651 * KWH });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 150.347 });
    assertRecord(r, { quantity: 'flow temperature', unit: '°C', value: 42.3 });
    assertRecord(r, { quantity: 'return temperature', unit: '°C', value: 28.1 });
    assertRecord(r, { quantity: 'temperature difference', unit: 'K', value: 14.1 });
  });

  it('fails the checksum with a wrong key or damaged bytes', () => {
    const f = fromHex(SHARKY);
    assert.equal(decodeDiehlRealData(f.subarray(2, 15), f.subarray(15), fromHex('0011223344556677')), null);
    const damaged = Uint8Array.from(f);
    damaged[20] = (damaged[20] as number) ^ 0x01;
    assert.equal(decodeDiehlRealData(damaged.subarray(2, 15), damaged.subarray(15), null), null);
  });
});

describe('diehl-prios with the A field as sent (SAP)', () => {
  const cases = [
    ['1944304C72242421D401A2013D4013DD8B46A4999C1293E582CC', '21242472', 3488, 3486],
    ['1944304C9C5824210C04A363140013716577EC59E8663AB0D31C', '2124589C', 38944, 38691],
    ['1944304CDEFFE420CC01A263120013258F907B0AFF12529AC33B', '20E4FFDE', 159832, 157760],
  ] as const;
  for (const [hex, id, total, billing] of cases) {
    it(`unscrambles SAP ${id} when the A-field bytes are known`, () => {
      const f = fromHex(hex);
      const input = driverInput({
        manufacturer: 'SAP',
        id,
        version: 0,
        deviceType: 7,
        ci: f[10] as number,
        apl: f.subarray(11),
      });
      const plain = unscramblePrios(input, f.subarray(4, 10));
      assert.ok(plain);
      assert.deepEqual([uintLE(plain, 1, 4), uintLE(plain, 5, 4)], [total, billing]);
    });
  }
});

describe('diehl drivers through the pipeline (link and transport header as sent)', () => {
  it('decodes the mode-21 Sharky frame with the registered diehl-real-data driver', () => {
    const r = decodeToReport(SHARKY);
    assert.equal(r.ok, true);
    assert.equal(r.security.mode, 21);
    assert.equal(r.security.decrypted, true);
    assertRecord(r.records, { quantity: 'energy', unit: 'Wh', value: 2651 * KWH });
    assertRecord(r.records, { quantity: 'volume', unit: 'm3', value: 150.347 });
  });
  it('without the test-data convention a mode-21 frame no key unscrambles is an error, not garbage', () => {
    const f = fromHex(SHARKY);
    f[20] = (f[20] as number) ^ 0x01;
    const r = decodeToReport(f);
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'SMGW_WMBUS_DECRYPT');
    assert.equal(r.records.length, 0);
  });
  it('unscrambles SAP PRIOS frames: the driver gets the A field as sent', () => {
    const r = decodeToReport('1944304C72242421D401A2013D4013DD8B46A4999C1293E582CC');
    assert.equal(r.ok, true);
    assert.equal(r.id, '21242472');
    assertRecord(r.records, { quantity: 'volume', unit: 'm3', value: 3.488 });
    assertRecord(r.records, { quantity: 'volume', unit: 'm3', value: 3.486, storage: 1 });
  });
});
