import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { SmlError } from '../src/errors.js';
import { encodeTl, MAX_DEPTH, minimalIntegerSize, readTl, TlvReader, TlvWriter } from '../src/tlv.js';

const reader = (hex: string): TlvReader => new TlvReader(fromHex(hex));
const code = (c: string) => (e: unknown) => e instanceof SmlError && e.code === c;

describe('TL field (SML 1.04 §6.3)', () => {
  it('decodes single-byte TL fields of every type', () => {
    assert.deepEqual(readTl(fromHex('62'), 0), { type: 'uint', length: 1, size: 1 });
    assert.deepEqual(readTl(fromHex('55'), 0), { type: 'int', length: 4, size: 1 });
    assert.deepEqual(readTl(fromHex('42'), 0), { type: 'boolean', length: 1, size: 1 });
    assert.deepEqual(readTl(fromHex('07'), 0), { type: 'octets', length: 6, size: 1 });
    assert.deepEqual(readTl(fromHex('76'), 0), { type: 'list', length: 6, size: 1 });
    // 0x01: an octet string of length zero, which marks an omitted OPTIONAL field
    assert.deepEqual(readTl(fromHex('01'), 0), { type: 'octets', length: 0, size: 1 });
  });

  it('decodes multi-byte TL fields (length counts the TL bytes for scalars, not for lists)', () => {
    // 83 02: octet string, total 0x32 = 50 bytes, 2 of them TL -> 48 data bytes (a public key)
    assert.deepEqual(readTl(fromHex('8302'), 0), { type: 'octets', length: 48, size: 2 });
    // F1 05: list of 0x15 = 21 elements (Holley DTZ541 valList)
    assert.deepEqual(readTl(fromHex('F105'), 0), { type: 'list', length: 21, size: 2 });
    assert.deepEqual(readTl(fromHex('818001'), 0), { type: 'octets', length: 254, size: 3 });
  });

  it('rejects bad TL fields with typed errors', () => {
    assert.throws(() => readTl(fromHex('00'), 0), code('SMGW_SML_MALFORMED')); // endOfSmlMsg is not an element
    assert.throws(() => readTl(fromHex('10'), 0), code('SMGW_SML_MALFORMED')); // unassigned type 001
    assert.throws(() => readTl(fromHex('3F'), 0), code('SMGW_SML_MALFORMED')); // unassigned type 011
    assert.throws(() => readTl(fromHex('8141'), 0), code('SMGW_SML_MALFORMED')); // type bits in continuation
    assert.throws(() => readTl(fromHex('83'), 0), code('SMGW_SML_TRUNCATED'));
    assert.throws(() => readTl(fromHex(''), 0), code('SMGW_SML_TRUNCATED'));
    assert.throws(() => readTl(fromHex('8181818181818101'), 0), code('SMGW_SML_MALFORMED')); // too long
    assert.throws(() => readTl(fromHex('8001'), 0), code('SMGW_SML_MALFORMED')); // total 1 < 2 TL bytes
  });

  it('encodes the shortest TL field', () => {
    assert.equal(toHex(encodeTl('octets', 0)), '01');
    assert.equal(toHex(encodeTl('octets', 14)), '0F');
    assert.equal(toHex(encodeTl('octets', 15)), '8101'); // 15 + 2 TL bytes = 17
    assert.equal(toHex(encodeTl('octets', 48)), '8302');
    assert.equal(toHex(encodeTl('octets', 254)), '818001'); // 254 + 2 = 256 needs a third TL byte
    assert.equal(toHex(encodeTl('list', 15)), '7F');
    assert.equal(toHex(encodeTl('list', 16)), 'F100');
    assert.equal(toHex(encodeTl('list', 21)), 'F105');
    assert.equal(toHex(encodeTl('uint', 4)), '65');
    for (const [type, n] of [
      ['octets', 300],
      ['list', 4000],
      ['octets', 65530],
    ] as const) {
      const tl = encodeTl(type, n);
      assert.deepEqual(readTl(tl, 0), { type, length: n, size: tl.length });
    }
  });
});

describe('TlvReader', () => {
  it('reads standard and sloppy integers', () => {
    assert.equal(reader('6280').uint(1), 128);
    assert.equal(reader('638025').uint(2), 32805);
    assert.equal(reader('5380 25').int(2), -32731);
    assert.equal(reader('64008025').uint(4), 32805); // 3-byte Unsigned32
    assert.equal(reader('52FF').int(1), -1);
    assert.equal(reader('55FFFE1393').int(4), -126061); // DZG negative power
    assert.equal(reader('69FFFFFFFFFFFFFFFF').uint64(), 2n ** 64n - 1n);
    assert.equal(reader('59FFFFFFFFFFFFFFFE').int64(), -2n);
    assert.equal(reader('5900000006D95B8357').int64(), 0x6d95b8357n); // EasyMeter 1.8.0
    assert.equal(reader('56FFFE139300').int64(), BigInt.asIntN(40, 0xfffe139300n)); // 5-byte Integer64
    assert.equal(reader('67010203040506').uint64(), 0x010203040506n); // 6-byte Unsigned64
    assert.equal(reader('68 01 02 03 04 05 06 07').uint64(), 0x01020304050607n);
  });

  it('rejects integers of the wrong type, size or range', () => {
    assert.throws(() => reader('630100').uint(1), code('SMGW_SML_MALFORMED')); // 256 in an Unsigned8
    assert.throws(() => reader('6201').int(1), code('SMGW_SML_MALFORMED')); // unsigned where signed is declared
    assert.throws(() => reader('61').uint(1), code('SMGW_SML_MALFORMED')); // no data bytes
    assert.throws(() => reader('6A000000000000000001').uint64(), code('SMGW_SML_MALFORMED')); // 9 bytes
    assert.throws(() => reader('5380').int(2), code('SMGW_SML_TRUNCATED'));
    assert.throws(() => reader('530080').int(1), code('SMGW_SML_MALFORMED')); // 128 is not an Integer8
  });

  it('reads booleans, octet strings and the optional marker', () => {
    assert.equal(reader('4201').boolean(), true);
    assert.equal(reader('4200').boolean(), false);
    assert.throws(() => reader('430001').boolean(), code('SMGW_SML_MALFORMED'));
    assert.equal(toHex(reader('064841474552').octets()), '4841474552');
    assert.equal(reader('01').optOctets(), undefined);
    assert.equal(toHex(reader('01').octets()), ''); // a mandatory empty octet string
    assert.throws(() => reader('054142').octets(), code('SMGW_SML_TRUNCATED'));
  });

  it('checks list lengths and bounds element counts by the bytes left', () => {
    const r = reader('720101');
    assert.equal(r.list('pair', 2), 2);
    assert.throws(() => reader('730101').list('pair', 2), code('SMGW_SML_MALFORMED'));
    assert.throws(() => reader('7F01').list('any'), code('SMGW_SML_TRUNCATED'));
    assert.throws(() => reader('6201').list('any'), code('SMGW_SML_MALFORMED'));
  });

  it('reads endOfSmlMsg', () => {
    const r = reader('00');
    r.endOfMessage();
    assert.equal(r.atEnd, true);
    assert.throws(() => reader('01').endOfMessage(), code('SMGW_SML_MALFORMED'));
    assert.throws(() => reader('').endOfMessage(), code('SMGW_SML_TRUNCATED'));
  });

  it('reads any element without a schema, nesting bounded', () => {
    const n = reader('72 6201 71 04414243').node();
    assert.deepEqual(n, {
      type: 'list',
      items: [
        { type: 'uint', size: 1, value: 1n },
        { type: 'list', items: [{ type: 'octets', value: fromHex('414243') }] },
      ],
    });
    const deep = `${'71'.repeat(MAX_DEPTH + 2)}01`;
    assert.throws(() => reader(deep).node(), code('SMGW_SML_LIMIT'));
  });

  it('never reads past its end', () => {
    const r = new TlvReader(fromHex('6201 6202'), 0, 2);
    assert.equal(r.uint(1), 1);
    assert.throws(() => r.uint(1), code('SMGW_SML_TRUNCATED'));
  });
});

describe('TlvWriter', () => {
  it('writes integers in exactly the size given', () => {
    assert.equal(toHex(new TlvWriter().uint(32805, 2).toBytes()), '638025');
    assert.equal(toHex(new TlvWriter().uint(32805, 3).toBytes()), '64008025');
    assert.equal(toHex(new TlvWriter().int(-1, 1).toBytes()), '52FF');
    assert.equal(toHex(new TlvWriter().int(-126061, 4).toBytes()), '55FFFE1393');
    assert.equal(toHex(new TlvWriter().int(-2n, 8).toBytes()), '59FFFFFFFFFFFFFFFE');
    assert.equal(toHex(new TlvWriter().uint(2n ** 64n - 1n, 8).toBytes()), '69FFFFFFFFFFFFFFFF');
  });

  it('writes the other elements', () => {
    const w = new TlvWriter().list(3).octets(fromHex('484147')).boolean(true).skipped().endOfMessage();
    assert.equal(toHex(w.toBytes()), '7304484147420101' + '00');
  });

  it('refuses what it cannot represent', () => {
    const enc = code('SMGW_SML_ENCODE');
    assert.throws(() => new TlvWriter().uint(256, 1), enc);
    assert.throws(() => new TlvWriter().uint(-1, 4), enc);
    assert.throws(() => new TlvWriter().int(128, 1), enc);
    assert.throws(() => new TlvWriter().int(-129, 1), enc);
    assert.throws(() => new TlvWriter().uint(1, 9), enc);
    assert.throws(() => new TlvWriter().uint(1, 0), enc);
    assert.throws(() => new TlvWriter().uint(2 ** 60, 8), enc); // unsafe number: pass a bigint
    assert.throws(() => new TlvWriter().uint(1.5, 2), enc);
  });

  it('reproduces decoded scalars byte for byte', () => {
    for (const hex of ['64008025', '5380 25', '56FFFE139300', '064841474552', '4201', '01']) {
      const bytes = fromHex(hex);
      assert.equal(toHex(new TlvWriter().scalar(new TlvReader(bytes).scalar()).toBytes()), toHex(bytes));
    }
  });

  it('finds the smallest integer size', () => {
    assert.equal(minimalIntegerSize('uint', 255), 1);
    assert.equal(minimalIntegerSize('uint', 256), 2);
    assert.equal(minimalIntegerSize('int', 128), 2);
    assert.equal(minimalIntegerSize('int', -128), 1);
    assert.equal(minimalIntegerSize('int', -(2n ** 63n)), 8);
    assert.throws(() => minimalIntegerSize('uint', 2n ** 64n), code('SMGW_SML_ENCODE'));
  });
});
