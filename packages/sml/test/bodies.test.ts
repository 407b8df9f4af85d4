import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { BODY_CODECS, bodyTag, readBody, type SmlMessageBody, writeBody } from '../src/bodies.js';
import { TlvReader, TlvWriter } from '../src/tlv.js';
import { EMH_FILE } from './vectors.js';

const enc = (b: SmlMessageBody): string => {
  const w = new TlvWriter();
  writeBody(w, b);
  return toHex(w.toBytes());
};
const dec = (hex: string): SmlMessageBody => readBody(new TlvReader(fromHex(hex)));
const h = (hex: string) => hex.replace(/ /g, '').toUpperCase();

/** Bodies with their wire form written out by hand from SML 1.04 §6.5–§6.12. */
const VECTORS: [SmlMessageBody, string][] = [
  [{ kind: 'CloseResponse' }, '72 65 00000201 71 01'],
  [{ kind: 'CloseRequest', globalSignature: fromHex('AA') }, '72 65 00000200 71 02 AA'],
  [
    {
      kind: 'OpenRequest',
      clientId: fromHex('0102'),
      reqFileId: fromHex('ABCD'),
      username: fromHex('75'),
      password: fromHex('70'),
      smlVersion: 1,
    },
    '72 65 00000100 77 01 03 0102 03 ABCD 01 02 75 02 70 62 01',
  ],
  [
    { kind: 'GetListRequest', clientId: fromHex('0102'), serverId: fromHex('0A01'), listName: fromHex('0100620AFFFF') },
    '72 65 00000700 75 03 0102 03 0A01 01 01 07 0100620AFFFF',
  ],
  [
    { kind: 'AttentionResponse', serverId: fromHex('0A01'), attentionNo: fromHex('8181C7C7FD00') },
    '72 65 0000FF01 74 03 0A01 07 8181C7C7FD00 01 01',
  ],
  [
    { kind: 'GetProcParameterRequest', serverId: fromHex('0A01'), parameterTreePath: [fromHex('8181C78201FF')] },
    '72 65 00000500 75 03 0A01 01 01 71 07 8181C78201FF 01',
  ],
  [
    {
      kind: 'SetProcParameterRequest',
      parameterTreePath: [fromHex('8181C78201FF')],
      parameterTree: {
        parameterName: fromHex('8181C78201FF'),
        parameterValue: { type: 'value', value: { type: 'uint', size: 1, value: 1n } },
      },
    },
    '72 65 00000600 75 01 01 01 71 07 8181C78201FF 73 07 8181C78201FF 72 6201 6201 01',
  ],
  [
    {
      kind: 'GetProfileListRequest',
      serverId: fromHex('0A01'),
      withRawdata: false,
      beginTime: { type: 'timestamp', timestamp: 1 },
      endTime: { type: 'timestamp', timestamp: 2 },
      parameterTreePath: [fromHex('8181C78610FF')],
    },
    '72 65 00000400 79 03 0A01 01 01 4200 72 6202 65 00000001 72 6202 65 00000002 71 07 8181C78610FF 01 01',
  ],
  [
    { kind: 'Unknown', tag: 0x0800, content: { type: 'list', items: [{ type: 'octets', value: new Uint8Array(0) }] } },
    '72 65 00000800 71 01',
  ],
];

describe('message bodies (SML 1.04 §6.5–§6.12)', () => {
  for (const [body, hex] of VECTORS) {
    it(`${body.kind}: writes the wire form and reads it back`, () => {
      assert.equal(enc(body), h(hex));
      assert.deepEqual(dec(hex), body);
    });
  }

  it('reads the EMH eHZ OpenResponse and GetListResponse (tag sent as a 2-byte Unsigned32)', () => {
    const file = fromHex(EMH_FILE);
    const open = readBody(new TlvReader(file, 10)); // after 76, transactionId 05 98E0CE95, 62 00, 62 00
    assert.equal(open.kind, 'OpenResponse');
    if (open.kind !== 'OpenResponse') return;
    assert.equal(toHex(open.reqFileId), '486167084219AD');
    assert.equal(toHex(open.serverId), '31303031313835');
    const list = readBody(new TlvReader(file, 39 + 10)); // the second message starts at 39
    assert.equal(list.kind, 'GetListResponse');
    if (list.kind !== 'GetListResponse') return;
    assert.equal(list.valList.length, 5);
    assert.equal(list.listName, undefined);
    assert.equal(toHex(list.serverId), '31303031313835');
    assert.equal(toHex(list.valList[0]?.objName as Uint8Array), '8181C78203FF');
  });

  it('round-trips the responses that carry lists, profiles and trees', () => {
    const time = { type: 'timestamp', timestamp: 1_700_000_000 } as const;
    const bodies: SmlMessageBody[] = [
      { kind: 'OpenResponse', reqFileId: fromHex('01'), serverId: fromHex('0A01'), refTime: time, smlVersion: 1 },
      {
        kind: 'GetListResponse',
        clientId: fromHex('01'),
        serverId: fromHex('0A01'),
        actSensorTime: { type: 'secIndex', secIndex: 9 },
        valList: [
          { objName: fromHex('0100010800FF'), unit: 30, scaler: -1, value: { type: 'uint', size: 4, value: 5n } },
        ],
        actGatewayTime: time,
      },
      {
        kind: 'GetProfileListResponse',
        serverId: fromHex('0A01'),
        actTime: time,
        regPeriod: 900,
        parameterTreePath: [fromHex('8181C78610FF')],
        valTime: time,
        status: 0n,
        periodList: [
          { objName: fromHex('0100010800FF'), unit: 30, scaler: -1, value: { type: 'uint', size: 8, value: 1n } },
        ],
        periodSignature: fromHex('00'),
      },
      {
        kind: 'GetProfilePackResponse',
        serverId: fromHex('0A01'),
        actTime: time,
        regPeriod: 900,
        parameterTreePath: [],
        headerList: [{ objName: fromHex('0100010800FF'), unit: 30, scaler: -1 }],
        periodList: [{ valTime: time, status: 0n, values: [{ value: { type: 'uint', size: 8, value: 7n } }] }],
        rawdata: fromHex('FF'),
      },
      { kind: 'GetProfilePackRequest', parameterTreePath: [], objectList: [fromHex('0100010800FF')] },
      {
        kind: 'GetProcParameterResponse',
        serverId: fromHex('0A01'),
        parameterTreePath: [fromHex('8181C78201FF')],
        parameterTree: { parameterName: fromHex('8181C78201FF'), children: [] },
      },
    ];
    for (const b of bodies) assert.deepEqual(dec(enc(b)), b, b.kind);
  });

  it('has one tag per body kind', () => {
    assert.equal(bodyTag('GetListResponse'), 0x0701);
    assert.equal(bodyTag('AttentionResponse'), 0xff01);
    assert.equal(bodyTag('Unknown'), undefined);
    assert.equal(new Set(BODY_CODECS.map((c) => c.tag)).size, BODY_CODECS.length);
    assert.equal(BODY_CODECS.length, 14);
  });
});
