import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { scale } from '../src/records.js';
import {
  COMBINABLE_EXTENSION_VIFES,
  COMBINABLE_VIFES,
  describeVib,
  FB_VIFS,
  FD_SECOND_LEVEL_VIFS,
  FD_VIFS,
  PRIMARY_VIFS,
  type VibMeaning,
} from '../src/vif-tables.js';

function vib(hex: string, text: string | null = null): VibMeaning {
  const b = fromHex(hex);
  return describeVib(b, 0, b.length, text);
}

/** The value a raw number becomes under a VIB. */
const scaled = (hex: string, raw: number): number => scale(raw, vib(hex));

describe('primary VIF table (EN 13757-3 Table 10)', () => {
  it('has an entry for every code but the extension and plain-text markers and 6F', () => {
    const missing = PRIMARY_VIFS.map((e, code) => (e ? -1 : code)).filter((c) => c >= 0);
    assert.deepEqual(missing, [0x6f, 0x7b, 0x7c, 0x7d]);
  });
  it('scales energy, volume, mass and power into Wh, J, m3, kg, W, J/h', () => {
    assert.deepEqual([vib('06').quantity, vib('06').unit, scaled('06', 44)], ['energy', 'Wh', 44000]);
    assert.equal(scaled('00', 5), 0.005);
    assert.deepEqual([vib('0E').unit, scaled('0E', 4293)], ['J', 4293e6]);
    assert.deepEqual([vib('14').quantity, vib('14').unit, scaled('14', 2850427)], ['volume', 'm3', 28504.27]);
    assert.equal(scaled('10', 1), 1e-6);
    assert.deepEqual([vib('1B').quantity, vib('1B').unit, scaled('1B', 7)], ['mass', 'kg', 7]);
    assert.deepEqual([vib('2B').quantity, vib('2B').unit, scaled('2B', 1900)], ['power', 'W', 1900]);
    assert.deepEqual([vib('33').unit, scaled('33', 2)], ['J/h', 2000]);
  });
  it('converts volume flow per minute and per second to m3/h', () => {
    assert.deepEqual([vib('3B').quantity, vib('3B').unit, scaled('3B', 238)], ['volume flow', 'm3/h', 0.238]);
    assert.deepEqual([vib('44').unit, scaled('44', 2)], ['m3/h', 0.12]); // 2 × 10^-3 m3/min
    assert.deepEqual([vib('4E').unit, scaled('4E', 1)], ['m3/h', 3.6]); // 10^-3 m3/s
    assert.deepEqual([vib('53').unit, scaled('53', 5)], ['kg/h', 5]);
  });
  it('names temperatures, pressure, durations', () => {
    assert.deepEqual([vib('59').quantity, vib('59').unit, scaled('59', 1722)], ['flow temperature', '°C', 17.22]);
    assert.deepEqual([vib('5D').quantity, scaled('5D', 1995)], ['return temperature', 19.95]);
    assert.deepEqual([vib('62').quantity, vib('62').unit, scaled('62', 141)], ['temperature difference', 'K', 14.1]);
    assert.deepEqual([vib('67').quantity, scaled('67', 13)], ['external temperature', 13]);
    assert.deepEqual([vib('6A').quantity, vib('6A').unit, scaled('6A', 15)], ['pressure', 'bar', 1.5]);
    assert.deepEqual([vib('20').quantity, vib('20').unit, scaled('20', 9)], ['on time', 's', 9]);
    assert.deepEqual([vib('26').quantity, scaled('26', 2)], ['operating time', 7200]);
    assert.equal(scaled('23', 2), 172800);
    assert.deepEqual([vib('74').quantity, scaled('74', 16)], ['actuality duration', 16]);
    assert.equal(scaled('72', 3), 10800);
  });
  it('marks time points, HCA units, identifiers and manufacturer-specific VIFs', () => {
    assert.deepEqual([vib('6C').quantity, vib('6C').kind], ['date', 'timepoint']);
    assert.deepEqual([vib('6D').quantity, vib('6D').kind], ['date and time', 'timepoint']);
    assert.deepEqual([vib('6E').quantity, vib('6E').unit], ['heat cost allocation', 'HCA']);
    assert.deepEqual([vib('78').quantity, vib('78').kind], ['fabrication number', 'unsigned']);
    assert.deepEqual([vib('79').quantity, vib('7A').quantity], ['enhanced identification', 'bus address']);
    assert.deepEqual([vib('7F').quantity, vib('7F').kind, vib('7F').unit], ['manufacturer specific', 'raw', '']);
    assert.equal(vib('7E').quantity, 'any');
  });
  it('keeps the VIFEs after a manufacturer-specific VIF as the manufacturer’s', () => {
    const m = vib('FF803B');
    assert.equal(m.kind, 'raw');
    assert.equal(m.quantity, 'manufacturer specific');
    assert.deepEqual(m.byteTexts, [
      'VIF FF: manufacturer specific',
      'VIFE 80: manufacturer specific',
      'VIFE 3B: manufacturer specific',
    ]);
  });
  it('reads a plain-text VIF as the quantity', () => {
    const m = vib('7C', 'kvarh');
    assert.deepEqual([m.quantity, m.unit, m.kind], ['kvarh', '', 'number']);
  });
});

describe('extension tables FB and FD (EN 13757-3 Tables 12–14)', () => {
  it('FB: large units, scaled into the contract units', () => {
    assert.deepEqual([vib('FB00').quantity, vib('FB00').unit, scaled('FB00', 3)], ['energy', 'Wh', 300000]);
    assert.deepEqual([vib('FB09').unit, scaled('FB09', 2)], ['J', 2e9]);
    assert.deepEqual([vib('FB0D').unit, scaled('FB0D', 1)], ['J', 4186800]); // 1 Mcal
    assert.deepEqual([vib('FB11').unit, scaled('FB11', 1)], ['m3', 1000]);
    assert.deepEqual([vib('FB19').unit, scaled('FB19', 1)], ['kg', 1e6]); // 1000 t
    assert.deepEqual([vib('FB29').unit, scaled('FB29', 1)], ['W', 1e6]); // 1 MW
    assert.deepEqual([vib('FB31').unit, scaled('FB31', 1)], ['J/h', 1e9]); // 1 GJ/h
    assert.equal(scaled('FB21', 10), 0.028316846592); // 10 × 0.1 ft3
    assert.equal(vib('FB2E').quantity, 'frequency (Hz)');
    assert.equal(vib('FB2E').unit, '');
  });
  it('FB: °F temperatures are converted to °C and K', () => {
    assert.ok(Math.abs(scaled('FB5B', 212) - 100) < 1e-9); // 212 °F
    assert.ok(Math.abs(scaled('FB63', 18) - 10) < 1e-9); // 18 °F difference = 10 K
    assert.equal(vib('FB5B').unit, '°C');
    assert.equal(vib('FB63').unit, 'K');
  });
  it('FD: identifiers, error flags, electrical units, durations', () => {
    assert.deepEqual([vib('FD08').quantity, vib('FD08').kind], ['access number', 'unsigned']);
    assert.deepEqual([vib('FD17').quantity, vib('FD17').kind], ['error flags', 'unsigned']);
    assert.equal(vib('FD10').quantity, 'customer location');
    assert.deepEqual([vib('FD48').quantity, vib('FD48').unit, scaled('FD48', 2294)], ['voltage', 'V', 229.4]);
    assert.deepEqual([vib('FD59').quantity, vib('FD59').unit, scaled('FD59', 38)], ['current', 'A', 0.038]);
    assert.deepEqual(
      [vib('FD74').quantity, vib('FD74').unit, scaled('FD74', 2)],
      ['remaining battery life time', 's', 172800],
    );
    assert.equal(scaled('FD6E', 1), 2629746); // operating time battery in months: mean month
    assert.equal(scaled('FD6F', 1), 31556952); // ... in years: 365.2425 d
    assert.equal(scaled('FD22', 7), 7); // size of storage block: a plain number
    assert.deepEqual([vib('FD30').kind, vib('FD70').kind], ['timepoint', 'timepoint']);
  });
  it('FD FD: the second level', () => {
    assert.deepEqual([vib('FDFD02').quantity, scaled('FDFD02', 1)], ['remaining battery life time', 2629746]);
    assert.ok(FD_SECOND_LEVEL_VIFS[0x00]);
  });
  it('names reserved codes instead of failing', () => {
    assert.equal(vib('6F').quantity, 'reserved VIF 6F');
    assert.equal(vib('FB7C').quantity, 'cumulative maximum power');
    assert.equal(vib('FD7E').quantity, 'reserved VIF FD 7E');
    assert.equal(FB_VIFS[0x06], undefined);
    assert.equal(FD_VIFS[0x77], undefined);
  });
});

describe('combinable VIFEs (EN 13757-3 Tables 15 and 16)', () => {
  it('annotate the quantity', () => {
    assert.equal(vib('933B').quantity, 'volume (accumulation only if positive (forward flow))');
    assert.equal(vib('933C').quantity, 'volume (accumulation of abs value only if negative (backward flow))');
    assert.equal(vib('ABFC01').quantity, 'power (at phase L1)');
    assert.equal(vib('FDC9FC02').quantity, 'voltage (at phase L2)');
    assert.equal(vib('933A').unit, 'm3');
  });
  it('apply multiplicative correction factors', () => {
    assert.equal(scaled('9375', 12), 0.0012); // 12 × 10^-3 m3 × 10^-1
    assert.equal(scaled('937D', 5), 5); // 10^-3 m3 × 10^3
  });
  it('turn amounts per time into the contract rates', () => {
    assert.deepEqual([vib('9322').unit, scaled('9322', 5)], ['m3/h', 0.005]); // l per hour
    assert.deepEqual([vib('9320').unit, scaled('9320', 1)], ['m3/h', 3.6]); // l per second
    assert.deepEqual([vib('8622').unit, scaled('8622', 2)], ['W', 2000]); // kWh per hour
    assert.deepEqual([vib('8623').unit, scaled('8623', 24)], ['W', 1000]); // kWh per day
    assert.equal(vib('932C').unit, ''); // per litre: no contract unit
    // a rate "per month" names the period of a maximum (Sontex 2E+25): stays W
    assert.deepEqual([vib('AE25').unit, scaled('AE25', 9)], ['W', 9000]);
  });
  it('turn records into durations, counts and time points', () => {
    const d = vib('BB56'); // volume flow, duration of last lower limit exceed, hours
    assert.deepEqual([d.unit, d.kind, scale(2, d)], ['s', 'number', 7200]);
    assert.deepEqual([vib('9341').unit, vib('9341').kind], ['', 'unsigned']);
    assert.equal(vib('9339').kind, 'timepoint');
    assert.equal(vib('EE13').kind, 'raw'); // inverse compact profile
  });
  it('mark compact profiles: the record stays hex, its elements mean the VIB without the profile VIFE', () => {
    const inverse = vib('EE13');
    assert.deepEqual([inverse.quantity, inverse.unit], ['heat cost allocation (inverse compact profile)', '']);
    assert.equal(inverse.profile?.inverse, true);
    assert.equal(inverse.profile?.baseVif, '6E');
    assert.deepEqual(
      [inverse.profile?.element.quantity, inverse.profile?.element.unit],
      ['heat cost allocation', 'HCA'],
    );
    assert.deepEqual([vib('951F').profile?.inverse, vib('951F').profile?.baseVif], [false, '15']);
    assert.deepEqual([vib('931E').profile?.inverse, vib('931E').profile?.baseVif], [false, '13']);
    // the profile VIFE anywhere among the combinable VIFEs; the rest keeps its meaning
    const corrected = vib('939373'); // volume, inverse compact profile, correction factor 10^-3
    assert.equal(corrected.profile?.baseVif, '9373');
    assert.equal(scale(5, corrected.profile?.element as VibMeaning), 0.000005);
    assert.equal(vib('FB8213').profile?.baseVif, 'FB02');
    // no series of numbers: time points, manufacturer VIFEs, two profile VIFEs, plain text
    for (const hex of ['ED13', 'EC1F', '93FF13', '93931F', '939E13']) assert.equal(vib(hex).profile, undefined, hex);
    assert.equal(vib('FC13', 'kWh').profile, undefined);
    assert.equal(vib('13').profile, undefined);
  });
  it('name record errors', () => {
    assert.equal(vib('9315').quantity, 'volume (error: no data available)');
  });
  it('cover the codes of Table 15 and 16', () => {
    assert.equal(COMBINABLE_VIFES.filter(Boolean).length, 116);
    assert.equal(COMBINABLE_EXTENSION_VIFES.filter(Boolean).length, 17);
  });
  it('explain every byte of the VIB', () => {
    assert.deepEqual(vib('FDC9FC02').byteTexts, [
      'VIF FD: extension table FD follows',
      'VIFE C9: voltage [V]',
      'VIFE FC: extension of combinable VIFE',
      'VIFE 02: at phase L2',
    ]);
  });
});
