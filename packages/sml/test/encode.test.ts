import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { buildMeterReading, encodeMeterReading, encodeSmlFrame, unitCode } from '../src/encode.js';
import { SmlError } from '../src/errors.js';
import { decodeSmlFile } from '../src/messages.js';
import { decodeSmlStream } from '../src/report.js';
import { splitTransportFrames, type TransportFrame } from '../src/transport.js';

const SERVER = fromHex('0A01454D480000BC614E'); // 0A 01 'EMH' 00 serial 12345678

describe('encoder facade (simulated meters)', () => {
  it('builds the push-meter file: Open.Res, GetList.Res, Close.Res', () => {
    const msgs = buildMeterReading({
      serverId: SERVER,
      fileId: 7,
      values: [{ obis: '1-0:1.8.0*255', value: 6079447, scaler: -1, unit: 'Wh' }],
    });
    assert.deepEqual(
      msgs.map((m) => [m.body.kind, toHex(m.transactionId)]),
      [
        ['OpenResponse', '0000000700'],
        ['GetListResponse', '0000000701'],
        ['CloseResponse', '0000000702'],
      ],
    );
  });

  it('produces frames the decoder reads back, values and units included', () => {
    const frame = encodeMeterReading({
      serverId: SERVER,
      listName: fromHex('0100620AFFFF'),
      actSensorTime: { type: 'secIndex', secIndex: 1000 },
      values: [
        { obis: '1-0:96.50.1*1', value: 'EMH' },
        { obis: '1-0:1.8.0*255', value: 6079447, scaler: -1, unit: 'Wh', status: { size: 2, value: 0x0182n } },
        { obis: '1-0:16.7.0*255', value: -10550, scaler: -2, unit: 27 },
        { obis: fromHex('0100000009FF'), value: SERVER },
        { obis: '1-0:1.8.1*255', value: { type: 'uint', size: 8, value: 2n ** 60n }, scaler: 0, unit: 'Wh' },
        { obis: '1-0:97.97.0*255', value: false },
      ],
    });
    const [report] = decodeSmlStream(frame);
    assert.equal(report?.ok, true);
    assert.equal(report?.serverId, toHex(SERVER));
    assert.deepEqual(
      report?.values.map((v) => [v.obis, v.value, v.unit]),
      [
        ['1-0:96.50.1*1', 'EMH', null],
        ['1-0:1.8.0*255', 607944.7, 'Wh'],
        ['1-0:16.7.0*255', -105.5, 'W'],
        ['1-0:0.0.9*255', toHex(SERVER), null],
        ['1-0:1.8.1*255', 2 ** 60, 'Wh'],
        ['1-0:97.97.0*255', false, null],
      ],
    );
    assert.equal(report?.values[4]?.raw, (2n ** 60n).toString());
  });

  it('chooses the smallest standard Integer size for plain numbers', () => {
    const frame = encodeMeterReading({ serverId: SERVER, values: [{ obis: '1-0:16.7.0', value: 200 }] });
    const file = (splitTransportFrames(frame)[0] as TransportFrame).file;
    const list = decodeSmlFile(file).messages[1]?.body;
    assert.equal(list?.kind, 'GetListResponse');
    if (list?.kind !== 'GetListResponse') return;
    assert.deepEqual(list.valList[0]?.value, { type: 'int', size: 2, value: 200n });
  });

  it('writes KERMIT CRCs on request (imitating a Holley DTZ541)', () => {
    const frame = encodeSmlFrame(buildMeterReading({ serverId: SERVER, values: [] }), { crc: 'kermit' });
    const f = splitTransportFrames(frame)[0] as TransportFrame;
    assert.equal(f.crc, 'kermit');
    assert.ok(decodeSmlFile(f.file).messages.every((m) => m.crcVariant === 'kermit'));
    assert.deepEqual(decodeSmlStream(frame)[0]?.warnings?.[0], 'transport CRC is CRC-16/KERMIT, not X.25');
  });

  it('refuses what it cannot encode', () => {
    const enc = (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_ENCODE';
    assert.throws(() => unitCode('furlong'), enc);
    assert.throws(() => unitCode(256), enc);
    assert.equal(unitCode('Wh'), 30);
    assert.throws(() => encodeMeterReading({ serverId: SERVER, values: [{ obis: '1-0:1.8.0', value: 0.5 }] }), enc);
    assert.throws(
      () => encodeMeterReading({ serverId: SERVER, values: [{ obis: '1-0:1.8.0', value: 2n ** 63n }] }),
      enc,
    );
    assert.throws(() => encodeMeterReading({ serverId: SERVER, values: [], fileId: -1 }), enc);
    assert.throws(
      () => encodeMeterReading({ serverId: SERVER, values: [{ obis: 'nonsense', value: 1 }] }),
      (e: unknown) => e instanceof SmlError,
    );
  });
});
