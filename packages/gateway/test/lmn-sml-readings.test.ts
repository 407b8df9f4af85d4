import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMeterReading } from '@opensmgw/sml';
import fc from 'fast-check';
import { SmlReadingStream } from '../src/lmn/sml-readings.js';

const METER = { meterId: 'EMH-0000000001', channels: new Set(['0100010800ff', '0100100700ff', '0700030000ff']) };
const STAMP = { receivedAtMs: 1_800_000_000_000, smgwStatus: 0x0200 };
const SERVER_ID = Uint8Array.of(0x0a, 0x01, 0x45, 0x4d, 0x48, 0x00, 0x00, 0x00, 0x00, 0x01);

const frame = (energy: bigint, fileId = 0) =>
  encodeMeterReading({
    serverId: SERVER_ID,
    fileId,
    values: [
      { obis: '1-0:1.8.0*255', value: energy, unit: 'Wh', scaler: -1 },
      { obis: '1-0:16.7.0*255', value: 10, unit: 'W', valTime: { type: 'secIndex', secIndex: 77 } },
      {
        obis: '7-0:3.0.0*255',
        value: 4711,
        unit: 13, // m³
        scaler: -3,
        valTime: { type: 'localTimestamp', timestamp: 1_790_000_000, localOffset: 60, seasonTimeOffset: 0 },
      },
      { obis: '1-0:2.8.0*255', value: 1, unit: 'Wh' },
    ],
  });

const stream = () => new SmlReadingStream({ maxFrameBytes: 4096 });

describe('lmn/sml-readings', () => {
  it('reads the channels of a GetListResponse: exact integers, scaler, ASCII unit, valTime or receive time', () => {
    const r = stream().push(METER, frame(9_007_199_254_740_993n), () => STAMP);
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.files[0]?.map((x) => [x.obis, x.value, x.scaler, x.unit, x.captureTimeMs, x.security, x.smgwStatus]),
      [
        ['0100010800ff', '9007199254740993', -1, 'Wh', STAMP.receivedAtMs, 'tls', 0x0200],
        ['0100100700ff', '10', 0, 'W', STAMP.receivedAtMs, 'tls', 0x0200],
        ['0700030000ff', '4711', -3, 'm3', 1_790_000_000_000, 'tls', 0x0200],
      ],
    );
  });

  it('property: any chunking of a stream of frames gives the same readings', () => {
    const whole = [frame(1n, 1), frame(2n, 2), frame(3n, 3)];
    const bytes = Buffer.concat(whole);
    const expected = stream().push(METER, bytes, () => STAMP).files;
    assert.equal(expected.length, 3);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const s = stream();
        const files = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          const r = s.push(METER, bytes.subarray(from, p), () => STAMP);
          assert.equal(r.error, undefined);
          files.push(...r.files);
          from = p;
        }
        assert.deepEqual(files, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('property: random bytes never throw, never give a reading, and fail the stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        (chunks) => {
          const s = stream();
          for (const c of chunks) assert.deepEqual(s.push(METER, c, () => STAMP).files, []);
          // Bytes before any start sequence are garbage: the stream has failed unless every byte so
          // far could still be the beginning of a start sequence (1B 1B 1B 1B 01 01 01 01).
          const first = Buffer.concat(chunks);
          const couldStart = first.length < 8 && first.every((b, i) => b === (i < 4 ? 0x1b : 0x01));
          if (
            !couldStart &&
            !(first.length >= 8 && first.subarray(0, 8).equals(Buffer.from('1b1b1b1b01010101', 'hex')))
          ) {
            assert.equal(s.failed, true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('garbage, damage and oversize frames end the stream; files completed before stay valid', () => {
    const good = frame(5n);
    let r = stream().push(METER, Buffer.concat([good, Buffer.from('junk')]), () => STAMP);
    assert.equal(r.files.length, 1);
    assert.match(r.error ?? '', /outside a transport frame/);

    const damaged = Uint8Array.from(good);
    damaged[20] = (damaged[20] as number) ^ 0xff;
    r = stream().push(METER, damaged, () => STAMP);
    assert.deepEqual(r.files, []);
    assert.match(r.error ?? '', /SML transport/);

    const s = stream();
    r = s.push(
      METER,
      Buffer.concat([Uint8Array.of(0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1), new Uint8Array(8192)]),
      () => STAMP,
    );
    assert.match(r.error ?? '', /SMGW_SML_LIMIT/);
    assert.equal(s.failed, true);
    assert.match(s.push(METER, good, () => STAMP).error ?? '', /already failed/);
  });
});
