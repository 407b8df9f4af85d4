import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { SmlError } from '../src/errors.js';
import { TlvReader, TlvWriter } from '../src/tlv.js';
import { readValue, type SmlValue, smlValue, valueAsNumber, writeValue } from '../src/value.js';

const read = (hex: string): SmlValue => readValue(new TlvReader(fromHex(hex)));
const write = (v: SmlValue): string => {
  const w = new TlvWriter();
  writeValue(w, v);
  return toHex(w.toBytes());
};

describe('SML_Value (SML 1.04 §6.4.2)', () => {
  it('keeps the wire type and size of scalars', () => {
    assert.deepEqual(read('5380 25'), { type: 'int', size: 2, value: -32731n });
    assert.deepEqual(read('64008025'), { type: 'uint', size: 3, value: 32805n });
    assert.deepEqual(read('4201'), { type: 'boolean', value: true });
    assert.deepEqual(read('04445A47'), { type: 'octets', value: fromHex('445A47') });
  });

  it('reads an SML_ListType time (Mennekes EDL40 charging station)', () => {
    const v = read('7262017262016500001B30');
    assert.deepEqual(v, { type: 'time', value: { type: 'secIndex', secIndex: 6960 } });
    assert.equal(write(v), '7262017262016500001B30');
  });

  it('keeps timestamped and COSEM list types as undecoded nodes', () => {
    const v = read('726202 72 6201 5501020304');
    assert.equal(v.type, 'listType');
    assert.equal(write(v), '7262027262015501020304');
  });

  it('rejects unknown list types', () => {
    assert.throws(
      () => read('7262076201'),
      (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_MALFORMED',
    );
  });

  it('converts integers to numbers', () => {
    assert.equal(valueAsNumber(read('55FFFE1393')), -126061);
    assert.equal(valueAsNumber(read('04445A47')), undefined);
  });

  it('builds values for encoders', () => {
    assert.equal(write(smlValue.uint(32805, 2)), '638025');
    assert.equal(write(smlValue.int(-1, 1)), '52FF');
    assert.equal(write(smlValue.octets('DZG')), '04445A47');
    assert.equal(write(smlValue.boolean(false)), '4200');
    assert.equal(write(smlValue.time({ type: 'timestamp', timestamp: 1 })), '72620172620265' + '00000001');
  });
});
