import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { SmlError } from '../src/errors.js';
import { formatObis, OBIS_NAMES, obisInfo, obisName, parseObis } from '../src/obis.js';

describe('OBIS codes (IEC 62056-61)', () => {
  it('formats the 6 bytes as A-B:C.D.E*F', () => {
    assert.equal(formatObis(fromHex('0100010800FF')), '1-0:1.8.0*255');
    assert.equal(formatObis(fromHex('8181C78203FF')), '129-129:199.130.3*255');
    assert.equal(formatObis(fromHex('0100603201 01')), '1-0:96.50.1*1');
  });

  it('formats codes of other lengths as hex', () => {
    assert.equal(formatObis(fromHex('0100010800')), '0100010800');
    assert.equal(formatObis(new Uint8Array(0)), '');
  });

  it('parses the text form, F defaulting to 255', () => {
    assert.equal(toHex(parseObis('1-0:16.7.0*255')), '0100100700FF');
    assert.equal(toHex(parseObis('1-0:16.7.0')), '0100100700FF');
    assert.equal(toHex(parseObis('129-129:199.130.5*255')), '8181C78205FF');
    for (const bad of ['1-0:16.7', '1-0:256.7.0*255', 'x', '1-0:1.8.0*']) {
      assert.throws(
        () => parseObis(bad),
        (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_MALFORMED',
        bad,
      );
    }
  });

  it('names the common codes, with or without F', () => {
    assert.equal(obisName('1-0:1.8.0*255'), 'Active energy import (A+), total');
    assert.equal(obisName(fromHex('0100100700FF')), 'Active power, total (P+ - P-)');
    assert.equal(obisName('1-0:96.50.1*1'), 'Manufacturer identification');
    assert.equal(obisName('1-0:99.99.99*255'), undefined);
    assert.equal(obisName('0100010800'), undefined);
  });

  it('keeps its names table well-formed', () => {
    for (const key of Object.keys(OBIS_NAMES)) {
      assert.match(key, /^\d+-\d+:\d+\.\d+\.\d+(\*\d+)?$/);
      parseObis(key);
    }
  });

  it('caches text and name of 6-byte codes, and handles others', () => {
    const a = obisInfo(fromHex('0100010800FF'));
    assert.deepEqual(a, { text: '1-0:1.8.0*255', name: 'Active energy import (A+), total' });
    assert.equal(obisInfo(fromHex('0100010800FF')), a);
    assert.deepEqual(obisInfo(fromHex('0102')), { text: '0102', name: undefined });
    for (let i = 0; i < 5000; i++) obisInfo(Uint8Array.of(1, 0, i >> 8, i & 0xff, 0, 255)); // stays bounded
    assert.deepEqual(obisInfo(fromHex('0100100700FF')).text, '1-0:16.7.0*255');
  });
});
