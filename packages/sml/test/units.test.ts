import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLMS_UNITS, dlmsUnit, dlmsUnitSymbol } from '../src/units.js';

describe('DLMS unit codes (IEC 62056-62)', () => {
  it('maps the units German meters send', () => {
    assert.equal(dlmsUnitSymbol(30), 'Wh');
    assert.equal(dlmsUnitSymbol(27), 'W');
    assert.equal(dlmsUnitSymbol(35), 'V');
    assert.equal(dlmsUnitSymbol(33), 'A');
    assert.equal(dlmsUnitSymbol(44), 'Hz');
    assert.equal(dlmsUnitSymbol(8), '°');
    assert.equal(dlmsUnitSymbol(29), 'var');
    assert.equal(dlmsUnitSymbol(32), 'varh');
    assert.equal(dlmsUnitSymbol(13), 'm³');
  });

  it('has no symbol for count, reserved, other, unknown or absent units', () => {
    for (const code of [255, 254, 253, 0, 58, 200]) assert.equal(dlmsUnitSymbol(code), null, String(code));
    assert.equal(dlmsUnitSymbol(undefined), null);
    assert.equal(dlmsUnit(255)?.quantity, 'no unit, unitless, count');
  });

  it('keeps its table well-formed', () => {
    const codes = DLMS_UNITS.map((u) => u.code);
    assert.equal(new Set(codes).size, codes.length);
    assert.ok(codes.every((c) => Number.isInteger(c) && c >= 1 && c <= 255));
    assert.deepEqual(
      codes,
      [...codes].sort((a, b) => a - b),
    );
  });
});
