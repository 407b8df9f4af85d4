/** fast-check arbitraries for SML values, structures and messages (used by the property tests). */
import fc from 'fast-check';
import type { SmlMessageBody } from '../src/bodies.js';
import type {
  SmlListEntry,
  SmlPeriodEntry,
  SmlProcParValue,
  SmlProfObjPeriodEntry,
  SmlTree,
  SmlTupelEntry,
} from '../src/entries.js';
import type { SmlMessage } from '../src/messages.js';
import type { SmlTime } from '../src/time.js';
import type { SmlNode, SmlScalar } from '../src/tlv.js';
import type { SmlValue } from '../src/value.js';

/** fc.record with ordinary prototypes: decoders return plain objects, deepStrictEqual compares prototypes. */
function rec<T>(
  model: { [K in keyof T]: fc.Arbitrary<T[K]> },
  options?: { requiredKeys?: (keyof T)[] },
): fc.Arbitrary<T> {
  return (fc.record as (m: unknown, o: unknown) => fc.Arbitrary<T>)(model, { ...options, noNullPrototype: true });
}

export const octets = (max = 12): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
/** OPTIONAL octet strings: an empty one would be sent as 0x01, i.e. "absent". */
export const optOctets = (max = 12): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 1, maxLength: max });
export const obis: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 6, maxLength: 6 });
const u8 = fc.integer({ min: 0, max: 255 });
const i8 = fc.integer({ min: -128, max: 127 });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i16 = fc.integer({ min: -32768, max: 32767 });

export const integerOf = (type: 'int' | 'uint'): fc.Arbitrary<{ size: number; value: bigint }> =>
  fc.integer({ min: 1, max: 8 }).chain((size) => {
    const bits = 8 * size;
    const value =
      type === 'uint'
        ? fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })
        : fc.bigInt({ min: -(1n << BigInt(bits - 1)), max: (1n << BigInt(bits - 1)) - 1n });
    return value.map((v) => ({ size, value: v }));
  });

export const scalar: fc.Arbitrary<SmlScalar> = fc.oneof(
  octets(20).map((value) => ({ type: 'octets' as const, value })),
  fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
  integerOf('int').map((v) => ({ type: 'int' as const, ...v })),
  integerOf('uint').map((v) => ({ type: 'uint' as const, ...v })),
);

export const time: fc.Arbitrary<SmlTime> = fc.oneof(
  u32.map((secIndex) => ({ type: 'secIndex' as const, secIndex })),
  u32.map((secIndex) => ({ type: 'secIndex' as const, secIndex, bare: true as const })),
  u32.map((timestamp) => ({ type: 'timestamp' as const, timestamp })),
  fc
    .record({ timestamp: u32, localOffset: i16, seasonTimeOffset: i16 })
    .map((t) => ({ type: 'localTimestamp' as const, ...t })),
  fc
    .record({ timestamp: u32, localOffset: i16, seasonTimeOffset: i16 })
    .map((t) => ({ type: 'localTimestamp' as const, ...t, tag: 2 })),
);

/** SML_Time where a CHOICE list is required (not the bare Holley form inside SML_ListType). */
export const node: fc.Arbitrary<SmlNode> = fc.letrec<{ node: SmlNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('node'), { maxLength: 3 }).map((items) => ({ type: 'list' as const, items })),
  ),
})).node;

export const value: fc.Arbitrary<SmlValue> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: time.map((t) => ({ type: 'time' as const, value: t })) },
  {
    weight: 1,
    arbitrary: rec({ tag: fc.constantFrom(2, 3), content: node }).map((v) => ({ type: 'listType' as const, ...v })),
  },
);

export const listEntry: fc.Arbitrary<SmlListEntry> = rec(
  {
    objName: obis,
    status: integerOf('uint'),
    valTime: time,
    unit: u8,
    scaler: i8,
    value,
    valueSignature: optOctets(48),
  },
  { requiredKeys: ['objName', 'value'] },
);

export const periodEntry: fc.Arbitrary<SmlPeriodEntry> = rec(
  { objName: obis, unit: u8, scaler: i8, value, valueSignature: optOctets() },
  { requiredKeys: ['objName', 'unit', 'scaler', 'value'] },
);

const quantity = rec({ unit: u8, scaler: i8, value: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) });
export const tupelEntry: fc.Arbitrary<SmlTupelEntry> = rec({
  serverId: octets(),
  secIndex: time,
  status: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  quantities: rec({ pA: quantity, R1: quantity, R4: quantity, mA: quantity, R2: quantity, R3: quantity }),
  signaturePaR1R4: octets(),
  signatureMaR2R3: octets(),
});

export const procParValue: fc.Arbitrary<SmlProcParValue> = fc.oneof(
  value.map((v) => ({ type: 'value' as const, value: v })),
  periodEntry.map((v) => ({ type: 'periodEntry' as const, value: v })),
  tupelEntry.map((v) => ({ type: 'tupelEntry' as const, value: v })),
  time.map((v) => ({ type: 'time' as const, value: v })),
  listEntry.map((v) => ({ type: 'listEntry' as const, value: v })),
);

export const tree: fc.Arbitrary<SmlTree> = fc.letrec<{ tree: SmlTree }>((tie) => ({
  tree: rec(
    {
      parameterName: octets(6),
      parameterValue: procParValue,
      children: fc.array(tie('tree'), { maxLength: 2, depthIdentifier: 'tree' }),
    },
    { requiredKeys: ['parameterName'] },
  ),
})).tree;

const path = fc.array(octets(6), { maxLength: 3 });

const profObjPeriodEntry: fc.Arbitrary<SmlProfObjPeriodEntry> = rec(
  {
    valTime: time,
    status: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    values: fc.array(rec({ value, valueSignature: optOctets() }, { requiredKeys: ['value'] }), { maxLength: 3 }),
    periodSignature: optOctets(),
  },
  { requiredKeys: ['valTime', 'status', 'values'] },
);

const profileRequest = rec(
  {
    serverId: optOctets(),
    username: optOctets(),
    password: optOctets(),
    withRawdata: fc.boolean(),
    beginTime: time,
    endTime: time,
    parameterTreePath: path,
    objectList: fc.array(octets(6), { maxLength: 3 }),
    dasDetails: tree,
  },
  { requiredKeys: ['parameterTreePath'] },
);

export const body: fc.Arbitrary<SmlMessageBody> = fc.oneof(
  fc
    .record(
      {
        codepage: optOctets(),
        clientId: optOctets(),
        reqFileId: octets(),
        serverId: optOctets(),
        username: optOctets(),
        password: optOctets(),
        smlVersion: u8,
      },
      { requiredKeys: ['reqFileId'] },
    )
    .map((b) => ({ kind: 'OpenRequest' as const, ...b })),
  fc
    .record(
      {
        codepage: optOctets(),
        clientId: optOctets(),
        reqFileId: octets(),
        serverId: octets(),
        refTime: time,
        smlVersion: u8,
      },
      { requiredKeys: ['reqFileId', 'serverId'] },
    )
    .map((b) => ({ kind: 'OpenResponse' as const, ...b })),
  rec({ globalSignature: optOctets() }, { requiredKeys: [] }).map((b) => ({ kind: 'CloseRequest' as const, ...b })),
  rec({ globalSignature: optOctets() }, { requiredKeys: [] }).map((b) => ({ kind: 'CloseResponse' as const, ...b })),
  profileRequest.map((b) => ({ kind: 'GetProfilePackRequest' as const, ...b })),
  profileRequest.map((b) => ({ kind: 'GetProfileListRequest' as const, ...b })),
  fc
    .record(
      {
        serverId: octets(),
        actTime: time,
        regPeriod: u32,
        parameterTreePath: path,
        headerList: fc.array(rec({ objName: obis, unit: u8, scaler: i8 }), { maxLength: 3 }),
        periodList: fc.array(profObjPeriodEntry, { maxLength: 2 }),
        rawdata: optOctets(),
        profileSignature: optOctets(),
      },
      { requiredKeys: ['serverId', 'actTime', 'regPeriod', 'parameterTreePath', 'headerList', 'periodList'] },
    )
    .map((b) => ({ kind: 'GetProfilePackResponse' as const, ...b })),
  fc
    .record(
      {
        serverId: octets(),
        actTime: time,
        regPeriod: u32,
        parameterTreePath: path,
        valTime: time,
        status: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        periodList: fc.array(periodEntry, { maxLength: 4 }),
        rawdata: optOctets(),
        periodSignature: optOctets(),
      },
      { requiredKeys: ['serverId', 'actTime', 'regPeriod', 'parameterTreePath', 'valTime', 'status', 'periodList'] },
    )
    .map((b) => ({ kind: 'GetProfileListResponse' as const, ...b })),
  fc
    .record(
      {
        serverId: optOctets(),
        username: optOctets(),
        password: optOctets(),
        parameterTreePath: path,
        attribute: optOctets(),
      },
      { requiredKeys: ['parameterTreePath'] },
    )
    .map((b) => ({ kind: 'GetProcParameterRequest' as const, ...b })),
  fc
    .record({ serverId: octets(), parameterTreePath: path, parameterTree: tree })
    .map((b) => ({ kind: 'GetProcParameterResponse' as const, ...b })),
  fc
    .record(
      {
        serverId: optOctets(),
        username: optOctets(),
        password: optOctets(),
        parameterTreePath: path,
        parameterTree: tree,
      },
      { requiredKeys: ['parameterTreePath', 'parameterTree'] },
    )
    .map((b) => ({ kind: 'SetProcParameterRequest' as const, ...b })),
  fc
    .record(
      {
        clientId: octets(),
        serverId: optOctets(),
        username: optOctets(),
        password: optOctets(),
        listName: optOctets(),
      },
      { requiredKeys: ['clientId'] },
    )
    .map((b) => ({ kind: 'GetListRequest' as const, ...b })),
  fc
    .record(
      {
        clientId: optOctets(),
        serverId: octets(),
        listName: optOctets(),
        actSensorTime: time,
        valList: fc.array(listEntry, { maxLength: 6 }),
        listSignature: optOctets(),
        actGatewayTime: time,
      },
      { requiredKeys: ['serverId', 'valList'] },
    )
    .map((b) => ({ kind: 'GetListResponse' as const, ...b })),
  fc
    .record(
      { serverId: octets(), attentionNo: octets(6), attentionMsg: optOctets(), attentionDetails: tree },
      { requiredKeys: ['serverId', 'attentionNo'] },
    )
    .map((b) => ({ kind: 'AttentionResponse' as const, ...b })),
  fc
    .record({ tag: fc.constantFrom(0x0800, 0x0801, 0x0900, 0xff02, 0x1234_5678), content: node })
    .map((b) => ({ kind: 'Unknown' as const, ...b })),
);

export const message: fc.Arbitrary<SmlMessage> = rec({
  transactionId: octets(8),
  groupNo: u8,
  abortOnError: u8,
  body,
});
