import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { crc16, crc16Kermit, crc16X25, crcFromWire, crcToWire, matchCrc } from '../src/crc.js';
import { EMH_FRAME } from './vectors.js';

const CHECK = new TextEncoder().encode('123456789');

describe('CRC-16 (SML 1.04 §8.1, §6.2)', () => {
  it('matches the catalogue check values', () => {
    assert.equal(crc16X25(CHECK), 0x906e);
    assert.equal(crc16Kermit(CHECK), 0x2189);
    assert.equal(crc16('x25', CHECK), 0x906e);
    assert.equal(crc16('kermit', CHECK), 0x2189);
  });

  it('covers a sub-range', () => {
    const framed = fromHex('FFFF 313233343536373839 FFFF');
    assert.equal(crc16X25(framed, 2, 11), 0x906e);
  });

  it('is empty-input safe (init ^ xorout)', () => {
    assert.equal(crc16X25(new Uint8Array(0)), 0x0000);
    assert.equal(crc16Kermit(new Uint8Array(0)), 0x0000);
  });

  it('goes on the wire low byte first', () => {
    assert.deepEqual(crcToWire(0x906e), [0x6e, 0x90]);
    assert.equal(crcFromWire(0x6e, 0x90), 0x906e);
  });

  it('checks a real EMH eHZ frame and its first message', () => {
    const frame = fromHex(EMH_FRAME);
    const n = frame.length;
    assert.equal(crc16X25(frame, 0, n - 2), crcFromWire(frame[n - 2] as number, frame[n - 1] as number));
    assert.equal(crcFromWire(frame[n - 2] as number, frame[n - 1] as number), 0x3adb);
    // The first SML_Message (offset 8) runs up to its crc16 field "63 5B 20".
    const end = 8 + 35;
    assert.equal(toHex(frame.subarray(end, end + 3)), '635B20');
    assert.equal(crc16X25(frame, 8, end), crcFromWire(0x5b, 0x20));
  });

  it('tells the variants apart', () => {
    const data = fromHex('76 05 01 02 03 04');
    const x = crc16X25(data);
    const k = crc16Kermit(data);
    assert.notEqual(x, k);
    assert.equal(matchCrc(x, data), 'x25');
    assert.equal(matchCrc(k, data), 'kermit');
    const neither = [0, 1, 2].find((v) => v !== x && v !== k) as number;
    assert.equal(matchCrc(neither, data), null);
  });
});
