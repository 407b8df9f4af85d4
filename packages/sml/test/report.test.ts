import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex } from '@opensmgw/core';
import { encodeMeterReading, encodeSmlFrame } from '../src/encode.js';
import { decodeSmlStream, octetsText, SmlStreamDecoder, scale } from '../src/report.js';
import { encodeTransportFrame } from '../src/transport.js';
import { EMH_FRAME } from './vectors.js';

describe('stream report (CLI contract)', () => {
  it('reports the EMH frame as the contract says', () => {
    const [r, ...rest] = decodeSmlStream(fromHex(EMH_FRAME));
    assert.equal(rest.length, 0);
    assert.equal(r?.ok, true);
    assert.equal(r?.index, 0);
    assert.equal(r?.error, undefined);
    assert.deepEqual(
      r?.values.map(({ obis, value, unit }) => ({ obis, value, unit })),
      [
        { obis: '129-129:199.130.3*255', value: 'HAGER', unit: null },
        { obis: '1-0:0.0.0*255', value: '1001185', unit: null },
        { obis: '1-0:2.8.1*255', value: 110340315.1, unit: 'Wh' },
        { obis: '0-0:96.1.255*255', value: '0000116917', unit: null },
        { obis: '1-0:1.7.1*255', value: -5632.1916, unit: 'W' },
      ],
    );
    assert.deepEqual(r?.messages, ['OpenResponse', 'GetListResponse', 'CloseResponse']);
    assert.equal(r?.values[2]?.raw, 1103403151);
    assert.equal(r?.values[2]?.scaler, -1);
    assert.equal(r?.values[2]?.name, 'Active energy export (A-), tariff 1');
  });

  it('numbers frames in stream order, damaged ones included', () => {
    const good = fromHex(EMH_FRAME);
    const bad = good.slice();
    bad[50] = (bad[50] as number) ^ 0xff;
    const reports = decodeSmlStream(
      concatBytes(fromHex('DEADBEEF'), good, bad, good.subarray(0, 60), good, good.subarray(0, 10)),
    );
    assert.deepEqual(
      reports.map((r) => [r.index, r.ok, r.error?.code ?? null]),
      [
        [0, true, null],
        [1, false, 'SMGW_SML_CRC'],
        [2, false, 'SMGW_SML_TRUNCATED'],
        [3, true, null],
        [4, false, 'SMGW_SML_TRUNCATED'],
      ],
    );
    assert.ok(reports.filter((r) => !r.ok).every((r) => r.values.length === 0 && typeof r.error?.message === 'string'));
  });

  it('marks a frame with a good transport CRC but undecodable content as not ok', () => {
    const frame = encodeTransportFrame(fromHex('7605 0102030405 6200 6200 72 6901')); // broken message
    const [r] = decodeSmlStream(frame);
    assert.equal(r?.ok, false);
    assert.equal(r?.error?.code, 'SMGW_SML_MALFORMED');
  });

  it('tolerates a wrong message CRC and says so', () => {
    const frame = fromHex(EMH_FRAME);
    // Re-frame the file with one message CRC byte changed: the transport CRC is right again.
    const file = frame.slice(8, frame.length - 8 - 2);
    file[36] = (file[36] as number) ^ 0x01; // first byte of the Open.Res crc16 value
    const [r] = decodeSmlStream(encodeTransportFrame(file));
    assert.equal(r?.ok, true);
    assert.deepEqual(r?.warnings, ['message 0 (OpenResponse): CRC mismatch, tolerated']);
    assert.equal(r?.values.length, 5);
  });

  it('decodes chunk by chunk like a serial port delivers it', () => {
    const stream = concatBytes(fromHex(EMH_FRAME), fromHex('00'), fromHex(EMH_FRAME));
    const d = new SmlStreamDecoder();
    const got = [];
    for (let i = 0; i < stream.length; i += 13) got.push(...d.push(stream.subarray(i, i + 13)));
    got.push(...d.finish());
    assert.deepEqual(got, decodeSmlStream(stream));
    assert.deepEqual(
      got.map((r) => r.index),
      [0, 1],
    );
  });

  it('applies the DZG quirk only when asked to and only for affected meters', () => {
    const affected = Uint8Array.of(0x0a, 0x01, 0x44, 0x5a, 0x47, 0x00, 0x02, 0x82, 0x1e, 0x5e); // serial 42082910
    const frame = encodeMeterReading({
      serverId: affected,
      values: [{ obis: '1-0:16.7.0*255', value: { type: 'int', size: 2, value: -32731n }, scaler: -2, unit: 'W' }],
    });
    const on = decodeSmlStream(frame)[0]?.values[0];
    assert.equal(on?.value, 328.05);
    assert.deepEqual(on?.quirks, ['dzg-unsigned-power']);
    const off = decodeSmlStream(frame, { quirks: false })[0]?.values[0];
    assert.equal(off?.value, -327.31);
    assert.equal(off?.quirks, undefined);
  });

  it('scales and prints values', () => {
    assert.equal(scale(6079447, -1), 607944.7);
    assert.equal(scale(-10550, -2), -105.5);
    assert.equal(scale(5, 3), 5000);
    assert.equal(scale(7, 0), 7);
    assert.equal(octetsText(fromHex('445A47')), 'DZG');
    assert.equal(octetsText(fromHex('0A01445A47')), '0A01445A47');
    assert.equal(octetsText(new Uint8Array(0)), '');
  });

  it('never throws, whatever it is fed', () => {
    assert.deepEqual(decodeSmlStream(new Uint8Array(0)), []);
    assert.deepEqual(
      decodeSmlStream(fromHex('1b1b1b1b01010101')).map((r) => r.error?.code),
      ['SMGW_SML_TRUNCATED'],
    );
  });

  it('reports the values of profile and parameter answers too', () => {
    const obis = fromHex('0100010800FF');
    const time = { type: 'timestamp', timestamp: 1_700_000_000 } as const;
    const frame = encodeSmlFrame([
      {
        transactionId: fromHex('01'),
        groupNo: 0,
        abortOnError: 0,
        body: {
          kind: 'GetProfileListResponse',
          serverId: fromHex('0A01'),
          actTime: time,
          regPeriod: 900,
          parameterTreePath: [],
          valTime: time,
          status: 0n,
          periodList: [{ objName: obis, unit: 30, scaler: 0, value: { type: 'uint', size: 4, value: 42n } }],
        },
      },
      {
        transactionId: fromHex('02'),
        groupNo: 0,
        abortOnError: 0,
        body: {
          kind: 'GetProcParameterResponse',
          serverId: fromHex('0A01'),
          parameterTreePath: [fromHex('8181C78201FF')],
          parameterTree: {
            parameterName: fromHex('8181C78201FF'),
            children: [
              {
                parameterName: fromHex('0100000009FF'),
                parameterValue: { type: 'value', value: { type: 'octets', value: fromHex('0A01') } },
              },
              { parameterName: fromHex('0000600100FF'), parameterValue: { type: 'time', value: time } },
            ],
          },
        },
      },
    ]);
    const [r] = decodeSmlStream(frame);
    assert.equal(r?.ok, true);
    assert.deepEqual(
      r?.values.map((v) => [v.obis, v.value, v.unit]),
      [
        ['1-0:1.8.0*255', 42, 'Wh'],
        ['1-0:0.0.9*255', '0A01', null],
      ],
    );
  });
});
