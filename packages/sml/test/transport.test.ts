import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '@opensmgw/core';
import { crc16, crcToWire } from '../src/crc.js';
import {
  encodeTransportFrame,
  SmlTransportSplitter,
  splitTransportFrames,
  type TransportEvent,
  type TransportFault,
  type TransportFrame,
} from '../src/transport.js';
import { EMH_FILE, EMH_FRAME } from './vectors.js';

const frameOf = (e: TransportEvent | undefined): TransportFrame => {
  assert.equal(e?.kind, 'frame', `expected a frame, got ${e?.kind === 'fault' ? e.error.message : String(e)}`);
  return e as TransportFrame;
};
const faultOf = (e: TransportEvent | undefined, code: string): TransportFault => {
  assert.equal(e?.kind, 'fault');
  assert.equal((e as TransportFault).error.code, code);
  return e as TransportFault;
};

/** Builds a frame by hand: start, raw body (already escaped and padded), end with `pad`, CRC. */
function handFrame(bodyHex: string, pad: number, variant: 'x25' | 'kermit' = 'x25'): Uint8Array {
  const head = concatBytes(fromHex(`1b1b1b1b01010101${bodyHex}1b1b1b1b1a`), Uint8Array.of(pad));
  return concatBytes(head, Uint8Array.from(crcToWire(crc16(variant, head))));
}

describe('transport: decoding (SML 1.04 §8.1)', () => {
  it('unwraps a real EMH frame', () => {
    const events = splitTransportFrames(fromHex(EMH_FRAME));
    assert.equal(events.length, 1);
    const f = frameOf(events[0]);
    assert.equal(toHex(f.file), EMH_FILE.toUpperCase());
    assert.deepEqual([f.offset, f.length, f.padding, f.crc, f.aligned], [0, 220, 2, 'x25', true]);
  });

  it('skips garbage before, between and after frames and counts it', () => {
    const frame = fromHex(EMH_FRAME);
    const s = new SmlTransportSplitter();
    const events = s.push(concatBytes(fromHex('AABB1B1B1B'), frame, fromHex('00FF'), frame, fromHex('1B1B')));
    events.push(...s.finish());
    assert.equal(events.length, 2);
    assert.equal(frameOf(events[0]).offset, 5);
    assert.equal(frameOf(events[1]).offset, 5 + 220 + 2);
    assert.equal(s.garbageBytes, 5 + 2 + 2);
    assert.equal(s.framesSeen, 2);
  });

  it('reports a frame cut off by the end of the stream', () => {
    const cut = fromHex(EMH_FRAME).subarray(0, 100);
    const events = splitTransportFrames(cut);
    assert.equal(events.length, 1);
    const f = faultOf(events[0], 'SMGW_SML_TRUNCATED');
    assert.equal(f.offset, 0);
    assert.equal(f.length, 100);
    assert.equal(toHex(f.data), EMH_FILE.slice(0, 184).toUpperCase());
  });

  it('re-synchronises on a start sequence inside a frame', () => {
    const frame = fromHex(EMH_FRAME);
    const events = splitTransportFrames(concatBytes(frame.subarray(0, 150), frame));
    assert.equal(events.length, 2);
    faultOf(events[0], 'SMGW_SML_TRUNCATED');
    assert.equal(frameOf(events[1]).offset, 150);
    // also off the 4-byte grid (a dropped byte before the next start)
    const odd = splitTransportFrames(concatBytes(frame.subarray(0, 151), frame));
    faultOf(odd[0], 'SMGW_SML_TRUNCATED');
    assert.equal(frameOf(odd[1]).offset, 151);
  });

  it('rejects a frame whose CRC does not match and goes on with the next', () => {
    const bad = fromHex(EMH_FRAME);
    bad[40] = (bad[40] as number) ^ 0x01;
    const events = splitTransportFrames(concatBytes(bad, fromHex(EMH_FRAME)));
    const f = faultOf(events[0], 'SMGW_SML_CRC');
    assert.equal(f.length, 220);
    assert.equal(frameOf(events[1]).offset, 220);
  });

  it('accepts the CRC-16/KERMIT variant', () => {
    const f = frameOf(splitTransportFrames(handFrame('76 05 00 00 00', 3, 'kermit'))[0]);
    assert.equal(f.crc, 'kermit');
    assert.equal(toHex(f.file), '7605');
  });

  it('unescapes a 1B1B1B1B data block sent twice', () => {
    const f = frameOf(splitTransportFrames(handFrame('1b1b1b1b 1b1b1b1b 76 050000', 3))[0]);
    assert.equal(toHex(f.file), '1B1B1B1B76');
  });

  it('treats 1B1B1B1B off the 4-byte grid as data', () => {
    const f = frameOf(splitTransportFrames(handFrame('76 1b1b1b1b 05 0000', 2))[0]);
    assert.equal(toHex(f.file), '761B1B1B1B05');
  });

  it('rejects unknown escape sequences and transport version 2, then resyncs', () => {
    const unknown = fromHex('1b1b1b1b01010101 7605 0000 1b1b1b1b 7f000000');
    const v2 = fromHex('1b1b1b1b01010101 7605 0000 1b1b1b1b 02000000');
    const e1 = splitTransportFrames(concatBytes(unknown, fromHex(EMH_FRAME)));
    faultOf(e1[0], 'SMGW_SML_MALFORMED');
    frameOf(e1[1]);
    const e2 = splitTransportFrames(concatBytes(v2, fromHex(EMH_FRAME)));
    faultOf(e2[0], 'SMGW_SML_UNSUPPORTED');
    frameOf(e2[1]);
  });

  it('rejects a padding count above 3', () => {
    faultOf(splitTransportFrames(handFrame('76050000', 4))[0], 'SMGW_SML_MALFORMED');
  });

  it('accepts an unpadded frame when its CRC matches, and says so', () => {
    const f = frameOf(splitTransportFrames(handFrame('760500', 0))[0]);
    assert.equal(f.aligned, false);
    assert.equal(toHex(f.file), '760500');
  });

  it('bounds the frame size and resyncs after a runaway frame', () => {
    const runaway = concatBytes(fromHex('1b1b1b1b01010101'), new Uint8Array(400).fill(0x76));
    const s = new SmlTransportSplitter({ maxFrameBytes: 256 });
    const events = s.push(concatBytes(runaway, fromHex(EMH_FRAME)));
    events.push(...s.finish());
    assert.equal(events.length, 2);
    assert.equal(faultOf(events[0], 'SMGW_SML_LIMIT').length, 256 - 7);
    assert.equal(frameOf(events[1]).offset, 408);
    // a frame longer than the bound is a runaway, however valid
    faultOf(new SmlTransportSplitter({ maxFrameBytes: 100 }).push(fromHex(EMH_FRAME))[0], 'SMGW_SML_LIMIT');
  });

  it('gives the same events however the stream is chunked', () => {
    const frame = fromHex(EMH_FRAME);
    const stream = concatBytes(
      fromHex('1b1b'),
      frame.subarray(0, 99),
      frame,
      fromHex('1b1b1b1b'),
      frame,
      frame.subarray(0, 30),
    );
    const whole = splitTransportFrames(stream, { maxFrameBytes: 300 });
    for (const step of [1, 3, 7, 64]) {
      const s = new SmlTransportSplitter({ maxFrameBytes: 300 });
      const events: TransportEvent[] = [];
      for (let i = 0; i < stream.length; i += step) events.push(...s.push(stream.subarray(i, i + step)));
      events.push(...s.finish());
      assert.deepEqual(events, whole, `chunk size ${step}`);
    }
    assert.deepEqual(
      whole.map((e) => e.kind),
      ['fault', 'frame', 'frame', 'fault'],
    );
  });
});

describe('transport: encoding', () => {
  it('reproduces the EMH frame byte for byte', () => {
    assert.equal(toHex(encodeTransportFrame(fromHex(EMH_FILE))), EMH_FRAME.toUpperCase());
  });

  it('escapes 1B1B1B1B data blocks on the 4-byte grid and pads', () => {
    const frame = encodeTransportFrame(fromHex('1b1b1b1b76'));
    assert.equal(toHex(frame.subarray(0, 25)), '1B1B1B1B010101011B1B1B1B1B1B1B1B760000001B1B1B1B1A'.slice(0, 50));
    assert.equal(frame[25], 3);
    assert.equal(toHex(frameOf(splitTransportFrames(frame)[0]).file), '1B1B1B1B76');
  });

  it('writes KERMIT CRCs on request', () => {
    const f = frameOf(splitTransportFrames(encodeTransportFrame(fromHex('7605'), { crc: 'kermit' }))[0]);
    assert.equal(f.crc, 'kermit');
  });

  it('handles an empty file', () => {
    const f = frameOf(splitTransportFrames(encodeTransportFrame(new Uint8Array(0)))[0]);
    assert.equal(f.file.length, 0);
    assert.equal(f.padding, 0);
  });
});
