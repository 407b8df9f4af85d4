/**
 * Diehl IZAR PRIOS frames (drivers/diehl-prios.ts, diehl-lfsr.ts). Telegrams and expected values
 * from the wmbusmeters test corpus (src/driver_izar.cc, drivers/src/izarv2.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { lfsrKey } from '../../src/drivers/diehl-lfsr.js';
import { assertRecord, decodeCorpus, driverRecords, YEAR_S } from './helpers.js';

const DME_66236629 = '2944A511780729662366A20118001378D3B3DB8CEDD77731F25832AAF3DA8CADF9774EA673172E8C61F2';
const DME_20481979 = '1944A511780779194820A121170013355F8EDB2D03C6912B1E37';
const HYD_48500375 = '19442423860775035048A251520015BEB6B2E1ED623A18FC74A5';
/** SAP: the version and device type bytes of the A field are lost in the identity. */
const SAP_21242472 = '1944304C72242421D401A2013D4013DD8B46A4999C1293E582CC';

describe('diehl-prios', () => {
  it('unscrambles with the default keys (DME 66236629)', () => {
    const t = decodeCorpus(DME_66236629);
    assert.equal(t.driver, 'diehl-prios');
    assert.equal(t.security.decrypted, true);
    const r = driverRecords(t);
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 16.76 });
    assertRecord(r, { quantity: 'volume', unit: 'm3', value: 11.84, storage: 1 });
    assertRecord(r, { quantity: 'date', unit: 'date', value: '2019-11-30', storage: 1 });
    assertRecord(r, { quantity: 'remaining battery life time', unit: 's', value: 12 * YEAR_S });
    assertRecord(r, { quantity: 'period of nominal data transmissions', unit: 's', value: 8 });
  });

  it('decodes CI A1 (DME 20481979) and HYD frames (48500375)', () => {
    const a = driverRecords(decodeCorpus(DME_20481979));
    assertRecord(a, { quantity: 'volume', unit: 'm3', value: 4.366 });
    assertRecord(a, { quantity: 'volume', unit: 'm3', value: 0, storage: 1 });
    assertRecord(a, { quantity: 'date', unit: 'date', value: '2020-12-31', storage: 1 });
    assertRecord(a, { quantity: 'remaining battery life time', unit: 's', value: 11.5 * YEAR_S });
    const h = driverRecords(decodeCorpus(HYD_48500375));
    assertRecord(h, { quantity: 'volume', unit: 'm3', value: 521.602 });
    assertRecord(h, { quantity: 'volume', unit: 'm3', value: 519.147, storage: 1 });
    assertRecord(h, { quantity: 'date', unit: 'date', value: '2021-11-15', storage: 1 });
    assertRecord(h, { quantity: 'remaining battery life time', unit: 's', value: 9 * YEAR_S });
  });

  it('decodes a SAP frame from the A field as sent (the identity has 00 07 for version and type)', () => {
    const t = decodeCorpus(SAP_21242472);
    const r = driverRecords(t);
    assert.equal(t.security.decrypted, true);
    assert.deepEqual(
      r.map((x) => x.quantity),
      ['remaining battery life time', 'period of nominal data transmissions', 'volume', 'volume', 'date'],
    );
    assertRecord(r, { quantity: 'remaining battery life time', unit: 's', value: 14.5 * YEAR_S });
    assertRecord(r, { quantity: 'period of nominal data transmissions', unit: 's', value: 8 });
  });

  it('uses a configured key instead of the defaults', () => {
    const wrong = '00112233445566778899AABBCCDDEEFF';
    const t = decodeCorpus(DME_66236629, wrong);
    assert.equal(t.security.decrypted, false);
    assert.equal(
      driverRecords(t).some((x) => x.quantity === 'volume'),
      false,
    );
    // The first default key, given explicitly, decodes the frame (only its first 8 bytes count).
    const right = decodeCorpus(DME_66236629, '39BC8A10E66D83F8FFFFFFFFFFFFFFFF');
    assertRecord(driverRecords(right), { quantity: 'volume', unit: 'm3', value: 16.76 });
  });

  it('reports no volume when the scrambled bytes are damaged', () => {
    const bytes = fromHex(DME_66236629);
    bytes[15] = (bytes[15] as number) ^ 0x01; // first scrambled byte: the check byte
    const t = decodeCorpus(Buffer.from(bytes).toString('hex'));
    assert.equal(
      driverRecords(t).some((x) => x.quantity === 'volume'),
      false,
    );
  });

  it('folds an 8-byte key into 32 bits', () => {
    assert.equal(lfsrKey(fromHex('39BC8A10E66D83F8')), (0x39bc8a10 ^ 0xe66d83f8) >>> 0);
  });
});
