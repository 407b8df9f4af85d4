/**
 * Apator AT-WMBUS-16-2 registers (drivers/apator-162.ts). Telegrams (stored decrypted) and
 * expected totals from the wmbusmeters test corpus (src/driver_apator162.cc).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { decodeApator162 } from '../../src/drivers/apator-162.js';
import { assertRecord, decodeCorpus, driverInput, driverRecords } from './helpers.js';

const CASES: readonly (readonly [string, number])[] = [
  [
    '6E4401062020202005077A9A0060852F2F0F0A734393CC0000435B0183001A54E06F630291342510030F00007B013E0B00003E0B00003E0B00003E0B00003E0B00003E0B00003E0B0000650000003D0000003D0000003D00000000000000A0910CB003FFFFFFFFFFFFFFFFFFFFA62B',
    3.843,
  ],
  ['2E4401064052030205077A2D0020852F2F0F334DA39A00000071011ABF0D00039A0D00A01053850310CECC0D008943', 904.398],
  [
    '4E4401062020202105077A130040852F2F0F6D4C389300020043840210351F040075012C0B040048D603003E630300CD2C03001EF402000ACE0200A098A39603FFFFFFFFFFFFFFFFFFFFFFFFFF1977',
    270.133,
  ],
  [
    '3E4401061405410305077A190030852F2F0F86B4B895290200 40C6C1B4F0F3F3415559 42FA701000F00101000010BC780000FFFFFFFFFFFFFFFFFFFFFF2483',
    30.908,
  ],
  [
    '704401060404040405077A0E0060852F2F0F766DFB96010000430600808F67DB8F67DB01010000102F1F01007B01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000A05F5C1804FFFFFFFFFFFFFFFFFFFF26BCD649',
    73.519,
  ],
];

describe('apator-162', () => {
  for (const [hex, total] of CASES) {
    it(`finds register 10 (total ${total} m3)`, () => {
      const t = decodeCorpus(hex);
      assert.equal(t.driver, 'apator-162');
      const r = driverRecords(t);
      assert.equal(r.length, 1);
      assertRecord(r, { quantity: 'volume', unit: 'm3', value: total });
    });
  }

  it('stops at a register of unknown length and at the FF padding', () => {
    // header (7 bytes), unknown register 63, then a total that must not be read
    const unknown = fromHex('0A734393CC0000 63 10 030F0000');
    assert.deepEqual(decodeApator162(driverInput({ manufacturer: 'APA', manufacturerData: unknown })).records, []);
    const padded = fromHex('0A734393CC0000 FF 10 030F0000');
    assert.deepEqual(decodeApator162(driverInput({ manufacturer: 'APA', manufacturerData: padded })).records, []);
  });

  it('does not read a register that runs past the end', () => {
    const cut = fromHex('0A734393CC0000 43 5B01 10 030F00');
    assert.deepEqual(decodeApator162(driverInput({ manufacturer: 'APA', manufacturerData: cut })).records, []);
  });
});
