import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { SmlError } from '../src/errors.js';
import { readOptTime, readTime, type SmlTime, writeOptTime, writeTime } from '../src/time.js';
import { TlvReader, TlvWriter } from '../src/tlv.js';

const read = (hex: string): SmlTime => readTime(new TlvReader(fromHex(hex)));
const write = (t: SmlTime): string => {
  const w = new TlvWriter();
  writeTime(w, t);
  return toHex(w.toBytes());
};

describe('SML_Time (SML 1.04 §6.4.4)', () => {
  const cases: [string, SmlTime][] = [
    ['72620165000000FF', { type: 'secIndex', secIndex: 255 }],
    ['726202655F5E1000', { type: 'timestamp', timestamp: 1_600_000_000 }],
    [
      '72620373655F5E100053003C53FFC4',
      { type: 'localTimestamp', timestamp: 1_600_000_000, localOffset: 60, seasonTimeOffset: -60 },
    ],
  ];
  for (const [hex, t] of cases) {
    it(`reads and writes ${t.type}`, () => {
      assert.deepEqual(read(hex), t);
      assert.equal(write(t), hex);
    });
  }

  it('reads a local timestamp sent under tag 2 and keeps the tag', () => {
    const t = read('72620273655F5E1000530000530000');
    assert.deepEqual(t, {
      type: 'localTimestamp',
      timestamp: 1_600_000_000,
      localOffset: 0,
      seasonTimeOffset: 0,
      tag: 2,
    });
    assert.equal(write(t), '72620273655F5E1000530000530000');
  });

  it('reads a short secIndex (3-byte Unsigned32, as EasyMeter sends)', () => {
    assert.deepEqual(read('72620164F8DF6D'), { type: 'secIndex', secIndex: 0xf8df6d });
  });

  it('reads the bare Unsigned32 of Holley DTZ541 as a secIndex marked bare', () => {
    const t = read('6500148E03');
    assert.deepEqual(t, { type: 'secIndex', secIndex: 0x148e03, bare: true });
    assert.equal(write(t), '6500148E03');
  });

  it('handles the optional marker', () => {
    assert.equal(readOptTime(new TlvReader(fromHex('01'))), undefined);
    const w = new TlvWriter();
    writeOptTime(w, undefined);
    assert.equal(toHex(w.toBytes()), '01');
  });

  it('rejects unknown tags and wrong shapes', () => {
    const bad = (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_MALFORMED';
    assert.throws(() => read('7262096501020304'), bad);
    assert.throws(() => read('7362016501020304'), bad);
    assert.throws(() => read('726201720101'), bad); // a list of 2 is not a local timestamp
    assert.throws(() => read('0401020304'), bad);
  });
});
