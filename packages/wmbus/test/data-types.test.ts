import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import {
  DATA_FIELD_LENGTH,
  hexOf,
  lvarLayout,
  lvarLength,
  type ProfileHeader,
  profileHeaderBytes,
  readBcd,
  readDateG,
  readDateTimeF,
  readDateTimeI,
  readInt,
  readProfileElement,
  readProfileHeader,
  readReal32,
  readReversedText,
  readTimeJ,
  readUInt64Decimal,
  stepTime,
  writeBcd,
  writeDateG,
  writeDateTimeF,
  writeDateTimeI,
  writeInt,
  writeProfileElement,
  writeReal32,
  writeReversedText,
  writeTimeJ,
  writeUInt64Decimal,
} from '../src/data-types.js';
import { WmbusError } from '../src/errors.js';

const isEncodeError = (e: unknown) => e instanceof WmbusError && e.code === 'SMGW_WMBUS_ENCODE';

describe('data field lengths (EN 13757-3 Table 4)', () => {
  it('maps every code to its byte count', () => {
    assert.deepEqual(DATA_FIELD_LENGTH, [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2]);
  });
});

describe('integers (type B signed, type C unsigned)', () => {
  it('reads little-endian two-complement values of every size', () => {
    assert.equal(readInt(fromHex('F7'), 0, 1, true), -9);
    assert.equal(readInt(fromHex('F7'), 0, 1, false), 247);
    assert.equal(readInt(fromHex('E7FFFFFF'), 0, 4, true), -25); // Kamstrup max power -2.5 kW (VIF 2D)
    assert.equal(readInt(fromHex('E7FFFFFF'), 0, 4, false), 0xffffffe7);
    assert.equal(readInt(fromHex('000080'), 0, 3, true), -(2 ** 23));
    assert.equal(readInt(fromHex('FFFFFFFFFF7F'), 0, 6, true), 2 ** 47 - 1);
    assert.equal(readInt(fromHex('000000000080'), 0, 6, true), -(2 ** 47));
    assert.equal(readInt(fromHex('0100000000000000'), 0, 8, true), 1);
    assert.equal(readInt(fromHex('FFFFFFFFFFFFFFFF'), 0, 8, true), -1);
    assert.equal(readInt(fromHex('FFFFFFFFFFFF1F00'), 0, 8, false), 2 ** 53 - 1);
  });
  it('reads unsigned 64-bit identifiers exactly as decimal strings', () => {
    assert.equal(readUInt64Decimal(fromHex('FFFFFFFFFFFFFFFF'), 0), '18446744073709551615');
    const out = new Uint8Array(8);
    writeUInt64Decimal(out, 0, '884751251699418795');
    assert.equal(readUInt64Decimal(out, 0), '884751251699418795');
    assert.throws(() => writeUInt64Decimal(out, 0, '18446744073709551616'), isEncodeError);
    assert.throws(() => writeUInt64Decimal(out, 0, '-1'), isEncodeError);
  });
  it('writes what it reads and refuses what does not fit', () => {
    for (const [len, v, signed] of [
      [1, -128, true],
      [2, 65535, false],
      [3, -1, true],
      [4, 2147483647, true],
      [6, -(2 ** 47), true],
      [8, -(2 ** 40) - 3, true],
      [8, 2 ** 53 - 1, false],
    ] as const) {
      const out = new Uint8Array(len);
      writeInt(out, 0, len, v, signed);
      assert.equal(readInt(out, 0, len, signed), v, `${len} ${v}`);
    }
    assert.throws(() => writeInt(new Uint8Array(1), 0, 1, 128, true), isEncodeError);
    assert.throws(() => writeInt(new Uint8Array(1), 0, 1, -1, false), isEncodeError);
    assert.throws(() => writeInt(new Uint8Array(2), 0, 2, 1.5, false), isEncodeError);
  });
});

describe('BCD (type A)', () => {
  it('reads digits least significant byte first', () => {
    assert.equal(readBcd(fromHex('27048502'), 0, 4), 2850427); // OMS Annex N volume
    assert.equal(readBcd(fromHex('99'), 0, 1), 99);
    assert.equal(readBcd(fromHex('123456789012'), 0, 6), 129078563412);
  });
  it('reads a top nibble F as the minus sign', () => {
    assert.equal(readBcd(fromHex('2301F0'), 0, 3), -123);
    assert.equal(readBcd(fromHex('F0'), 0, 1), 0); // -0 is 0
    assert.ok(Object.is(readBcd(fromHex('00F0'), 0, 2), 0));
  });
  it('gives null for other hex digits (meters send FF… for no value)', () => {
    assert.equal(readBcd(fromHex('FFFFFFFF'), 0, 4), null);
    assert.equal(readBcd(fromHex('1A00'), 0, 2), null);
    assert.equal(readBcd(fromHex('00A0'), 0, 2), null);
  });
  it('writes what it reads, null as all F', () => {
    for (const [len, v] of [
      [1, 42],
      [2, -999],
      [3, 999999],
      [4, -9999999],
      [6, 999999999999],
    ] as const) {
      const out = new Uint8Array(len);
      writeBcd(out, 0, len, v);
      assert.equal(readBcd(out, 0, len), v);
    }
    const out = new Uint8Array(2);
    writeBcd(out, 0, 2, null);
    assert.equal(hexOf(out, 0, 2), 'FFFF');
    assert.throws(() => writeBcd(new Uint8Array(1), 0, 1, 100), isEncodeError);
    assert.throws(() => writeBcd(new Uint8Array(1), 0, 1, -10), isEncodeError);
  });
});

describe('32-bit real (type H)', () => {
  it('reads IEEE 754 little-endian and drops NaN/infinity to null', () => {
    assert.equal(readReal32(fromHex('0000C03F'), 0), 1.5);
    assert.equal(readReal32(fromHex('0000C0BF'), 0), -1.5);
    assert.equal(readReal32(fromHex('0000C07F'), 0), null);
    assert.equal(readReal32(fromHex('0000807F'), 0), null);
    const out = new Uint8Array(4);
    writeReal32(out, 0, 21.25);
    assert.equal(readReal32(out, 0), 21.25);
  });
});

describe('variable length data (LVAR, EN 13757-3 Table 5)', () => {
  it('knows the kind and length of each code', () => {
    assert.deepEqual(lvarLayout(0x00), { kind: 'text', length: 0 });
    assert.deepEqual(lvarLayout(0xbf), { kind: 'text', length: 191 });
    assert.deepEqual(lvarLayout(0xc3), { kind: 'bcd', length: 3 });
    assert.deepEqual(lvarLayout(0xd2), { kind: 'negative bcd', length: 2 });
    assert.deepEqual(lvarLayout(0xe5), { kind: 'binary', length: 5 });
    assert.deepEqual(lvarLayout(0xf0), { kind: 'binary', length: 16 });
    assert.deepEqual(lvarLayout(0xf4), { kind: 'binary', length: 32 });
    assert.deepEqual(lvarLayout(0xf5), { kind: 'binary', length: 48 });
    assert.deepEqual(lvarLayout(0xf6), { kind: 'binary', length: 64 });
    for (const reserved of [0xca, 0xcf, 0xda, 0xdf, 0xf7, 0xfb, 0xff]) {
      assert.equal(lvarLayout(reserved), null);
      assert.equal(lvarLength(reserved), -1);
    }
    for (let l = 0; l < 256; l++) assert.equal(lvarLength(l), lvarLayout(l)?.length ?? -1);
  });
  it('reads text last character first', () => {
    // esyswm enhanced id: 0D 79 0E 31 32 ... 31 -> "1ESY9887654321" (wmbusmeters expects the same)
    const data = fromHex('3132333435363738383959534531');
    assert.equal(readReversedText(data, 0, data.length), '1ESY9887654321');
    const out = new Uint8Array(7);
    writeReversedText(out, 0, 'B1.28.0');
    assert.equal(hexOf(out, 0, 7), '302E38322E3142'); // ABB firmware version as sent
    assert.throws(() => writeReversedText(new Uint8Array(1), 0, '€'), isEncodeError);
  });
});

describe('date and time types (EN 13757-3 Annex A)', () => {
  it('type G: date', () => {
    assert.equal(readDateG(fromHex('FF0C'), 0), '2007-12-31');
    assert.equal(readDateG(fromHex('FE04'), 0), '2007-04-30'); // OMS Annex N.5.3
    assert.equal(readDateG(fromHex('BF2C'), 0), '2021-12-31');
    assert.equal(readDateG(fromHex('FFFF'), 0), null);
    assert.equal(readDateG(fromHex('3F22'), 0), null); // 2017-02-31 does not exist
    assert.equal(readDateG(fromHex('9D22'), 0), '2020-02-29'); // leap year
    assert.equal(readDateG(fromHex('BD22'), 0), null); // 2021-02-29 does not exist
    assert.equal(readDateG(fromHex('0001'), 0), null); // day 0: unspecified
  });
  it('type F: date and time to the minute, invalid bit honoured', () => {
    assert.equal(readDateTimeF(fromHex('32371F15'), 0), '2008-05-31T23:50'); // OMS Annex N.2.1
    assert.equal(readDateTimeF(fromHex('000F3235'), 0), '2025-05-18T15:00');
    // hundred-year bits set to 2 by a meter that means 2026 (wmbusmeters reads 2026 too)
    assert.equal(readDateTimeF(fromHex('22484136'), 0), '2026-06-01T08:34');
    assert.equal(readDateTimeF(fromHex('B2371F15'), 0), null);
    assert.equal(readDateTimeF(fromHex('3C371F15'), 0), null); // minute 60
  });
  it('type I: date and time to the second', () => {
    assert.equal(readDateTimeI(fromHex('38114EEA2100'), 0), '2023-01-10T14:17:56');
    assert.equal(readDateTimeI(fromHex('38914EEA2100'), 0), null); // invalid bit
    const out = new Uint8Array(6);
    writeDateTimeI(out, 0, '2023-01-10T14:17:56');
    assert.equal(readDateTimeI(out, 0), '2023-01-10T14:17:56');
    writeDateTimeI(out, 0, null);
    assert.equal(readDateTimeI(out, 0), null);
  });
  it('type J: time of day', () => {
    assert.equal(readTimeJ(fromHex('3B3B17'), 0), '23:59:59');
    assert.equal(readTimeJ(fromHex('3C0000'), 0), null);
    const out = new Uint8Array(3);
    writeTimeJ(out, 0, '07:08:09');
    assert.equal(readTimeJ(out, 0), '07:08:09');
  });
  it('writes types G and F as EN 13757-3 defines them', () => {
    const g = new Uint8Array(2);
    writeDateG(g, 0, '2007-04-30');
    assert.equal(hexOf(g, 0, 2), 'FE04');
    const f = new Uint8Array(4);
    writeDateTimeF(f, 0, '2008-05-31T23:50');
    assert.equal(hexOf(f, 0, 4), '32371F15'); // hundred-year 1, as in OMS Annex N
    writeDateTimeF(f, 0, null);
    assert.equal(readDateTimeF(f, 0), null);
    assert.throws(() => writeDateG(g, 0, '2007-02-30'), isEncodeError);
    assert.throws(() => writeDateG(g, 0, '1970-01-01'), isEncodeError);
    assert.throws(() => writeDateTimeF(f, 0, '2008-05-31'), isEncodeError);
    assert.throws(() => writeDateTimeF(f, 0, '2008-05-31T23:50:01'), isEncodeError);
  });
});

describe('compact profile header and elements (EN 13757-3 Annex F)', () => {
  it('reads the spacing control and spacing value bytes', () => {
    // OMS Vol.2 Annex G Table G.6: increments, days, 4-digit BCD; FE with days: one month
    assert.deepEqual(readProfileHeader(0x7a, 0xfe), {
      mode: 'increments',
      elementDataField: 0xa,
      elementLength: 2,
      spacing: { months: 1 },
    });
    // EN 13757-3 F.2.7: increments, hours, 2-digit BCD, every hour
    assert.deepEqual(readProfileHeader(0x69, 0x01), {
      mode: 'increments',
      elementDataField: 0x9,
      elementLength: 1,
      spacing: { unit: 'hour', count: 1 },
    });
    assert.equal(readProfileHeader(0x34, 0xfe)?.mode, 'absolute');
    assert.equal(readProfileHeader(0xb3, 0x0f)?.mode, 'decrements');
    assert.deepEqual(readProfileHeader(0xfb, 0xfa)?.spacing, { unit: 'day', count: 250 });
    assert.deepEqual(readProfileHeader(0xe7, 0xfe)?.spacing, { months: 3 });
    assert.deepEqual(readProfileHeader(0xd6, 0xfe)?.spacing, { months: 6 });
    assert.deepEqual(readProfileHeader(0x06, 0x3c)?.spacing, { unit: 'second', count: 60 });
    assert.equal(readProfileHeader(0xd6, 0xfe)?.elementLength, 6);
  });
  it('leaves the codes whose meaning is not pinned down to the raw record', () => {
    for (const value of [0x00, 0xfb, 0xfc, 0xfd, 0xff]) assert.equal(readProfileHeader(0x3a, value), null, `${value}`);
    assert.equal(readProfileHeader(0x0a, 0xfe), null); // months with the seconds unit
    for (const df of [0x0, 0x5, 0x8, 0xd, 0xf]) assert.equal(readProfileHeader(0x30 | df, 0x01), null, `${df}`);
  });
  it('writes the header bytes it reads', () => {
    for (const [control, value] of [
      [0x7a, 0xfe],
      [0x69, 0x01],
      [0xe7, 0xfe],
      [0xd6, 0xfe],
      [0x06, 0x3c],
      [0xbe, 0xfa],
    ] as const) {
      const h = readProfileHeader(control, value) as ProfileHeader;
      assert.deepEqual(profileHeaderBytes(h), [control, value]);
    }
    const h = { mode: 'absolute', elementDataField: 0x2 } as const;
    assert.throws(() => profileHeaderBytes({ ...h, spacing: { unit: 'day', count: 0 } }), isEncodeError);
    assert.throws(() => profileHeaderBytes({ ...h, spacing: { months: 12 as 1 } }), isEncodeError);
    assert.throws(() => profileHeaderBytes({ ...h, elementDataField: 0xd, spacing: { months: 1 } }), isEncodeError);
  });
  it('reads the "illegal" code of each element type as no value', () => {
    const header = (control: number) => readProfileHeader(control, 1) as ProfileHeader;
    // type B (absolute values, signed differences): the most negative number
    for (const [df, hex] of [
      [0x1, '80'],
      [0x2, '0080'],
      [0x3, '000080'],
      [0x4, '00000080'],
      [0x6, '000000000080'],
      [0x7, '0000000000000080'],
    ] as const) {
      assert.equal(readProfileElement(fromHex(hex), 0, header(df)), null, hex);
      assert.equal(readProfileElement(fromHex(hex), 0, header(0xc0 | df)), null, hex);
      assert.notEqual(readProfileElement(fromHex(hex), 0, header(0x40 | df)), null, hex); // type C: a number
    }
    assert.equal(readProfileElement(fromHex('7F'), 0, header(0x01)), 127);
    assert.equal(readProfileElement(fromHex('81'), 0, header(0x01)), -127);
    // type C (increments, decrements): all ones
    assert.equal(readProfileElement(fromHex('FFFF'), 0, header(0x42)), null);
    assert.equal(readProfileElement(fromHex('FEFF'), 0, header(0x82)), 65534);
    // BCD: all F
    assert.equal(readProfileElement(fromHex('FFFFFF'), 0, header(0x0b)), null);
    assert.equal(readProfileElement(fromHex('990000'), 0, header(0x0b)), 99);
  });
  it('writes the illegal code for null and refuses numbers that would read back as it', () => {
    const header = (control: number) => readProfileHeader(control, 1) as ProfileHeader;
    const write = (control: number, raw: number | null) => {
      const h = header(control);
      const out = new Uint8Array(h.elementLength);
      writeProfileElement(out, 0, h, raw);
      assert.equal(readProfileElement(out, 0, h), raw);
      return hexOf(out, 0, out.length);
    };
    assert.equal(write(0x02, null), '0080');
    assert.equal(write(0x42, null), 'FFFF');
    assert.equal(write(0x0a, null), 'FFFF');
    assert.equal(write(0xc4, -5), 'FBFFFFFF');
    assert.equal(write(0x4a, 258), '5802');
    assert.throws(() => write(0x02, -32768), isEncodeError);
    assert.throws(() => write(0x42, 65535), isEncodeError);
    assert.throws(() => write(0x42, -1), isEncodeError);
    assert.throws(() => write(0x8a, -1), isEncodeError);
  });
});

describe('stepTime: the time of a compact profile element', () => {
  const month = { months: 1 } as const;
  it('counts calendar months from the base; the last day of a month stays the last day', () => {
    // OMS Vol.2 Annex G Table G.7: back from 2008-05-31
    assert.deepEqual(
      [1, 2, 3, 4].map((k) => stepTime('2008-05-31', month, -k)),
      ['2008-04-30', '2008-03-31', '2008-02-29', '2008-01-31'],
    );
    assert.equal(stepTime('2019-10-31', month, 4), '2020-02-29');
    assert.equal(stepTime('2020-01-30', month, 1), '2020-02-29');
    assert.equal(stepTime('2020-01-30', month, 2), '2020-03-30'); // counted from the base, not from the step before
    assert.equal(stepTime('2026-02-01', month, -14), '2024-12-01');
    assert.equal(stepTime('2026-02-01', { months: 6 }, -3), '2024-08-01');
    assert.equal(stepTime('2021-09-30T10:15', { months: 3 }, 1), '2021-12-31T10:15');
  });
  it('adds seconds, minutes, hours and days; seconds appear when the spacing needs them', () => {
    assert.equal(stepTime('2010-01-01T00:00', { unit: 'hour', count: 1 }, 3), '2010-01-01T03:00');
    assert.equal(stepTime('2010-01-01T00:00', { unit: 'minute', count: 15 }, -1), '2009-12-31T23:45');
    assert.equal(stepTime('2010-01-01T00:00', { unit: 'second', count: 30 }, 1), '2010-01-01T00:00:30');
    assert.equal(stepTime('2020-02-29T12:30:15', { unit: 'second', count: 45 }, 1), '2020-02-29T12:31:00');
    assert.equal(stepTime('2020-02-28', { unit: 'day', count: 1 }, 2), '2020-03-01');
    assert.equal(stepTime('2020-02-28', { unit: 'hour', count: 24 }, 1), '2020-02-29');
  });
  it('gives null for a date that cannot take the spacing and for anything but a date', () => {
    assert.equal(stepTime('2020-02-28', { unit: 'hour', count: 1 }, 1), null);
    for (const bad of [
      '',
      '12:00:00',
      '2008-02-30',
      '2008-13-01',
      '2008-05-31T24:00',
      '2008-05-31 23:50',
      'x'.repeat(10),
    ]) {
      assert.equal(stepTime(bad, month, 1), null, bad);
    }
  });
});
