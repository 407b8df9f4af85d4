import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as sml from '@opensmgw/sml';

describe('public API (@opensmgw/sml)', () => {
  it('exports the codec by layer', () => {
    for (const name of [
      'decodeSmlStream',
      'SmlStreamDecoder',
      'SmlTransportSplitter',
      'splitTransportFrames',
      'encodeTransportFrame',
      'decodeSmlFile',
      'encodeSmlFile',
      'readMessage',
      'writeMessage',
      'TlvReader',
      'TlvWriter',
      'readTl',
      'encodeTl',
      'crc16',
      'formatObis',
      'parseObis',
      'obisName',
      'dlmsUnitSymbol',
      'applyListQuirks',
      'KNOWN_QUIRKS',
      'encodeSmlFrame',
      'buildMeterReading',
      'encodeMeterReading',
      'SmlError',
    ]) {
      assert.notEqual((sml as Record<string, unknown>)[name], undefined, name);
    }
  });

  it('round-trips a simulated meter through the public API', () => {
    const frame = sml.encodeMeterReading({
      serverId: Uint8Array.of(0x0a, 0x01, 0x49, 0x53, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x01),
      values: [{ obis: '1-0:1.8.0*255', value: 12345, scaler: -1, unit: 'Wh' }],
    });
    const reports = sml.decodeSmlStream(frame);
    assert.deepEqual(
      reports.map((r) => [r.ok, r.values.map((v) => [v.obis, v.value, v.unit])]),
      [[true, [['1-0:1.8.0*255', 1234.5, 'Wh']]]],
    );
  });
});
