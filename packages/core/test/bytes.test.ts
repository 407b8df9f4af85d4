import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ByteReader,
  bytesEqual,
  CoreError,
  concatBytes,
  fromHex,
  isSmgwError,
  readUIntLE,
  timingSafeEqualBytes,
  toHex,
} from '@opensmgw/core';
import fc from 'fast-check';

describe('hex', () => {
  it('ignores the separators test data uses', () => {
    assert.equal(toHex(fromHex('2e 44_93|15#78')), '2E44931578');
  });
  it('reads lower case and tabs/newlines as separators', () => {
    assert.equal(toHex(fromHex('ab\tcd\n0f')), 'ABCD0F');
  });
  it('round-trips any bytes, and any string yields bytes or SMGW_CORE_BAD_HEX (20,000 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => bytesEqual(fromHex(toHex(b)), b)),
      { numRuns: 10_000 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF _|#xg\u00e9\ud83d'), maxLength: 60 }),
        (s) => {
          try {
            const b = fromHex(s);
            assert.equal(toHex(b), s.replace(/[\s_|#]/g, '').toUpperCase());
          } catch (e) {
            assert.ok(isSmgwError(e) && e.code === 'SMGW_CORE_BAD_HEX', String(e));
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
  it('rejects odd length and non-hex with a typed error', () => {
    assert.throws(
      () => fromHex('abc'),
      (e: unknown) => e instanceof CoreError && e.code === 'SMGW_CORE_BAD_HEX',
    );
    assert.throws(
      () => fromHex('zz'),
      (e: unknown) => e instanceof CoreError && e.code === 'SMGW_CORE_BAD_HEX',
    );
  });
});

describe('byte helpers', () => {
  it('concatenates and compares', () => {
    const a = concatBytes(fromHex('0102'), fromHex(''), fromHex('03'));
    assert.ok(bytesEqual(a, fromHex('010203')));
    assert.ok(!bytesEqual(a, fromHex('010204')));
    assert.ok(timingSafeEqualBytes(a, fromHex('010203')));
    assert.ok(!timingSafeEqualBytes(a, fromHex('0102')));
  });
  it('reads little-endian integers up to 48 bits', () => {
    assert.equal(readUIntLE(fromHex('785634120000'), 0, 6), 0x12345678);
    assert.equal(readUIntLE(fromHex('FFFFFFFFFFFF'), 0, 6), 2 ** 48 - 1);
  });
});

describe('ByteReader', () => {
  it('reads in order and reports the offset', () => {
    const r = new ByteReader(fromHex('01 3412 78563412 AABB'));
    assert.equal(r.u8(), 1);
    assert.equal(r.u16le(), 0x1234);
    assert.equal(r.u32le(), 0x12345678);
    assert.equal(r.offset, 7);
    assert.equal(toHex(r.rest()), 'AABB');
    assert.ok(r.atEnd);
  });
  it('throws the error of the caller on truncation', () => {
    class Mine extends Error {}
    const r = new ByteReader(fromHex('01'), { onTruncated: () => new Mine('short') });
    assert.throws(() => r.u16le(), Mine);
    assert.throws(
      () => new ByteReader(fromHex('')).u8(),
      (e: unknown) => e instanceof CoreError && e.code === 'SMGW_CORE_TRUNCATED',
    );
  });
  it('respects an end bound', () => {
    const r = new ByteReader(fromHex('010203'), { offset: 1, end: 2 });
    assert.equal(r.u8(), 2);
    assert.throws(() => r.u8());
  });
});
