import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { crc16En13757 } from '../src/crc.js';

describe('CRC-16 EN 13757', () => {
  it('matches the catalogue check value (CRC-16/EN-13757: 0xC2B7 for "123456789")', () => {
    assert.equal(crc16En13757(new TextEncoder().encode('123456789')), 0xc2b7);
  });
  it('matches the first block CRC of the OMS Annex N.2.1 frame (format A)', () => {
    // 2E44931578563412 3303 | CRC 3363 (from the same telegram with DLL CRCs kept)
    assert.equal(crc16En13757(fromHex('2E449315785634123303')), 0x3363);
  });
});
