/**
 * IME manufacturer-specific VIFs (drivers/ime-manufacturer-vifs.ts). Telegrams (wired M-Bus long
 * frames) and expected values from the wmbusmeters test corpus (drivers/src/ime.xmq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataRecord } from '../../src/records.js';
import { decodeCorpus, KWH } from './helpers.js';

const ENERGIES =
  '68CBCB6808017278563412A525660200000000849010FF80843B362A0C00849010FF80843C00000000849010FF81843BD1490700849010FF81843C060000008410FF80843BFE180C008420FF80843B381100008410FF80843C000000008420FF80843C000000008410FF81843B393D07008420FF81843B980C00008410FF81843C060000008420FF81843C0000000084A010FF80843B362A0C0084A010FF80843C0000000084A010FF81843BD149070084A010FF81843C0600000004FF90290000000002FF912B00001F00000000004116';
const POWERS =
  '688D8D6808017278563412A52566020100000084B010FF842B06000000848020FF842B00000000849020FF842B0600000084A020FF842B0000000084B010FF852B00000000848020FF852B00000000849020FF852B0000000084A020FF852B0000000084B010FF862B08000000848020FF862B00000000849020FF862B0800000084A020FF862B000000001F0000000000D116';
const VOLTAGES =
  '6875756808017278563412A525660202000000848020FF8748F6080000849020FF87489F08000084A020FF8748E2080000848020FF88482D0F0000849020FF8848460F000084A020FF8848640F0000848020FF895900000000849020FF89592600000084A020FF89590000000002FF8A48F4011F0000000000B116';
const DEMAND =
  '685C5C6808017278563412A52566020300000082B010FF8B28EB0282B010FF8C2B01008410FF8D2B070000008410FF8E2B691D00008420FF8E2BC50D000084B010FF8F21BB260C008410FF8F215A1C0C008420FF8F21610A00000F00000000006216';

/** The decoded record of a DIF/VIF (the raw one has quantity "manufacturer specific"). */
function decoded(hex: string, dif: string, vif: string): DataRecord {
  const t = decodeCorpus(hex);
  assert.equal(t.driver, 'ime-manufacturer-vifs');
  const r = t.records.find((x) => x.dif === dif && x.vif === vif && x.quantity !== 'manufacturer specific');
  assert.ok(r, `no decoded record ${dif} ${vif}`);
  return r;
}

describe('ime-manufacturer-vifs', () => {
  it('decodes energies in 0.01 kWh with the DIB selector kept (total, tariffs, partial)', () => {
    const total = decoded(ENERGIES, '849010', 'FF80843B');
    assert.deepEqual(
      [total.quantity, total.unit, total.value, total.tariff],
      ['active energy, positive', 'Wh', 7972.38 * KWH, 5],
    );
    assert.equal(decoded(ENERGIES, '8410', 'FF80843B').value, 7928.3 * KWH);
    assert.equal(decoded(ENERGIES, '8420', 'FF80843B').value, 44.08 * KWH);
    assert.equal(decoded(ENERGIES, '84A010', 'FF80843B').value, 7972.38 * KWH);
    assert.equal(decoded(ENERGIES, '849010', 'FF80843C').value, 0);
    const reactive = decoded(ENERGIES, '849010', 'FF81843B');
    assert.deepEqual([reactive.unit, reactive.value], ['', 4776490]);
  });

  it('decodes powers in W', () => {
    assert.equal(decoded(POWERS, '84B010', 'FF842B').value, 6);
    assert.equal(decoded(POWERS, '849020', 'FF842B').value, 6);
    assert.equal(decoded(POWERS, '848020', 'FF842B').value, 0);
    assert.equal(decoded(POWERS, '84B010', 'FF862B').value, 8);
  });

  it('decodes voltages, currents and frequency', () => {
    assert.equal(decoded(VOLTAGES, '848020', 'FF8748').value, 229.4);
    assert.equal(decoded(VOLTAGES, '849020', 'FF8748').value, 220.7);
    assert.equal(decoded(VOLTAGES, '84A020', 'FF8748').value, 227.4);
    assert.equal(decoded(VOLTAGES, '848020', 'FF8848').value, 388.5);
    assert.equal(decoded(VOLTAGES, '849020', 'FF8848').value, 391);
    assert.equal(decoded(VOLTAGES, '84A020', 'FF8848').value, 394);
    assert.equal(decoded(VOLTAGES, '849020', 'FF8959').value, 0.038);
    assert.equal(decoded(VOLTAGES, '02', 'FF8A48').value, 50);
  });

  it('decodes power factor, demand and run time (minutes)', () => {
    assert.equal(decoded(DEMAND, '82B010', 'FF8B28').value, 0.747);
    assert.equal(decoded(DEMAND, '82B010', 'FF8C2B').value, 1);
    assert.equal(decoded(DEMAND, '8410', 'FF8D2B').value, 7);
    assert.equal(decoded(DEMAND, '8410', 'FF8E2B').value, 7529);
    assert.equal(decoded(DEMAND, '8420', 'FF8E2B').value, 3525);
    assert.equal(decoded(DEMAND, '84B010', 'FF8F21').value, 796347 * 60);
    assert.equal(decoded(DEMAND, '8410', 'FF8F21').value, 793690 * 60);
  });
});
