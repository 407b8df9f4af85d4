import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '@opensmgw/core';
import { crc16X25 } from '../src/crc.js';
import { decodeSmlFile, encodeSmlFile, encodeSmlMessage, type SmlMessage } from '../src/messages.js';
import { EMH_FILE } from './vectors.js';

const CLOSE: SmlMessage = {
  transactionId: fromHex('01'),
  groupNo: 0,
  abortOnError: 0,
  body: { kind: 'CloseResponse' },
};

describe('SML_Message and the SML file (SML 1.04 §6.2)', () => {
  it('decodes the three messages of the EMH eHZ file and checks their CRCs', () => {
    const { messages, error } = decodeSmlFile(fromHex(EMH_FILE));
    assert.equal(error, undefined);
    assert.deepEqual(
      messages.map((m) => [m.body.kind, toHex(m.transactionId), m.offset, m.length, m.crcVariant]),
      [
        ['OpenResponse', '98E0CE95', 0, 39, 'x25'],
        ['GetListResponse', '98E0CE96', 39, 143, 'x25'],
        ['CloseResponse', '98E0CE97', 182, 20, 'x25'],
      ],
    );
    assert.equal(messages[0]?.crc, 0x205b); // sent as 63 5B 20: low byte first
  });

  it('tolerates and flags a wrong message CRC', () => {
    const file = fromHex(EMH_FILE);
    file[39 + 60] = (file[39 + 60] as number) ^ 0x10; // inside a value of the GetList answer
    const { messages, error } = decodeSmlFile(file);
    assert.equal(error, undefined);
    assert.deepEqual(
      messages.map((m) => m.crcOk),
      [true, false, true],
    );
    assert.equal(messages[1]?.crcVariant, null);
  });

  it('writes the CRC low byte first and accepts KERMIT', () => {
    const bytes = encodeSmlMessage(CLOSE);
    // 76 02 01 62 00 62 00 72 65 00000201 71 01 | 63 c0 c1 | 00
    const crc = crc16X25(bytes, 0, bytes.length - 4);
    assert.equal(toHex(bytes.subarray(bytes.length - 4)), `63${toHex(Uint8Array.of(crc & 0xff, crc >> 8))}00`);
    const kermit = decodeSmlFile(encodeSmlFile([CLOSE], { crc: 'kermit' }));
    assert.equal(kermit.messages[0]?.crcVariant, 'kermit');
  });

  it('skips zero bytes between messages (padding, sloppy senders)', () => {
    const one = encodeSmlMessage(CLOSE);
    const { messages, error } = decodeSmlFile(concatBytes(fromHex('0000'), one, fromHex('00'), one, fromHex('000000')));
    assert.equal(error, undefined);
    assert.equal(messages.length, 2);
  });

  it('stops at the first structural error and keeps what it read', () => {
    const one = encodeSmlMessage(CLOSE);
    const r = decodeSmlFile(concatBytes(one, fromHex('7605')));
    assert.equal(r.messages.length, 1);
    assert.equal(r.error?.code, 'SMGW_SML_TRUNCATED');
    const noEnd = decodeSmlFile(one.subarray(0, one.length - 1));
    assert.equal(noEnd.error?.code, 'SMGW_SML_TRUNCATED');
    const wrongEnd = one.slice();
    wrongEnd[wrongEnd.length - 1] = 0x01;
    assert.equal(decodeSmlFile(wrongEnd).error?.code, 'SMGW_SML_MALFORMED');
    assert.equal(decodeSmlFile(new Uint8Array(0)).error?.code, 'SMGW_SML_MALFORMED');
    assert.equal(decodeSmlFile(fromHex('76')).error?.code, 'SMGW_SML_TRUNCATED');
    assert.equal(decodeSmlFile(fromHex('75')).error?.code, 'SMGW_SML_MALFORMED'); // not a list of 6
  });

  it('round-trips messages', () => {
    const msgs: SmlMessage[] = [
      {
        transactionId: fromHex('0102030405'),
        groupNo: 1,
        abortOnError: 2,
        body: { kind: 'OpenRequest', reqFileId: fromHex('AA') },
      },
      { ...CLOSE, body: { kind: 'CloseRequest', globalSignature: fromHex('0011') } },
    ];
    const { messages, error } = decodeSmlFile(encodeSmlFile(msgs));
    assert.equal(error, undefined);
    assert.deepEqual(
      messages.map(({ transactionId, groupNo, abortOnError, body }) => ({
        transactionId,
        groupNo,
        abortOnError,
        body,
      })),
      msgs,
    );
    assert.ok(messages.every((m) => m.crcOk));
  });
});
