import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import {
  readListEntry,
  readPeriodEntry,
  readProcParValue,
  readProfObjHeaderEntry,
  readProfObjPeriodEntry,
  readTree,
  readTreePath,
  readTupelEntry,
  type SmlListEntry,
  type SmlTree,
  type SmlTupelEntry,
  writeListEntry,
  writePeriodEntry,
  writeProcParValue,
  writeProfObjHeaderEntry,
  writeProfObjPeriodEntry,
  writeTree,
  writeTreePath,
  writeTupelEntry,
} from '../src/entries.js';
import { SmlError } from '../src/errors.js';
import { MAX_DEPTH, TlvReader, TlvWriter } from '../src/tlv.js';
import { EMH_ENTRY_281 } from './vectors.js';

const r = (hex: string) => new TlvReader(fromHex(hex));
const written = (f: (w: TlvWriter) => void): string => {
  const w = new TlvWriter();
  f(w);
  return toHex(w.toBytes());
};

describe('SML_ListEntry (SML 1.04 §6.4.6)', () => {
  it('reads the EMH eHZ 2.8.1 entry', () => {
    const e = readListEntry(r(EMH_ENTRY_281));
    assert.deepEqual(e, {
      objName: fromHex('0100020801FF'),
      status: { size: 1, value: 0x82n },
      unit: 30,
      scaler: -1,
      value: { type: 'uint', size: 8, value: 0x41c4988fn },
    });
    assert.equal(
      written((w) => writeListEntry(w, e)),
      EMH_ENTRY_281.toUpperCase(),
    );
  });

  it('reads every optional field when present', () => {
    const hex = '77 07 0100100700FF 65 001C0104 72 6201 65 00000010 62 1B 52 FE 55 FFFE1393 03 ABCD';
    const e: SmlListEntry = readListEntry(r(hex));
    assert.deepEqual(e.status, { size: 4, value: 0x1c0104n });
    assert.deepEqual(e.valTime, { type: 'secIndex', secIndex: 16 });
    assert.equal(toHex(e.valueSignature as Uint8Array), 'ABCD');
    assert.equal(
      written((w) => writeListEntry(w, e)),
      hex.replace(/ /g, ''),
    );
  });

  it('requires 7 elements', () => {
    assert.throws(
      () => readListEntry(r('76 07 0100100700FF 01 01 01 01 5201')),
      (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_MALFORMED',
    );
  });
});

describe('profile and parameter types', () => {
  it('reads and writes SML_PeriodEntry', () => {
    const hex = '75 07 0100010800FF 62 1E 52 FF 65 00BC614E 01';
    const e = readPeriodEntry(r(hex));
    assert.deepEqual(e, {
      objName: fromHex('0100010800FF'),
      unit: 30,
      scaler: -1,
      value: { type: 'uint', size: 4, value: 12345678n },
    });
    assert.equal(
      written((w) => writePeriodEntry(w, e)),
      hex.replace(/ /g, ''),
    );
  });

  it('round-trips SML_TupelEntry (23 elements)', () => {
    const q = (n: number) => ({ unit: 27, scaler: -1, value: BigInt(n) });
    const t: SmlTupelEntry = {
      serverId: fromHex('0A01454D480000000001'),
      secIndex: { type: 'secIndex', secIndex: 42 },
      status: 0x1234n,
      quantities: { pA: q(1), R1: q(2), R4: q(3), mA: q(-4), R2: q(5), R3: q(6) },
      signaturePaR1R4: fromHex('01'),
      signatureMaR2R3: fromHex('0203'),
    };
    const hex = written((w) => writeTupelEntry(w, t));
    assert.equal(hex.slice(0, 4), 'F107'); // a list of 0x17 = 23
    assert.deepEqual(readTupelEntry(r(hex)), t);
  });

  it('reads and writes a parameter tree with children (Get/SetProcParameter)', () => {
    const tree: SmlTree = {
      parameterName: fromHex('8181C78201FF'),
      children: [
        {
          parameterName: fromHex('0100000009FF'),
          parameterValue: { type: 'value', value: { type: 'octets', value: fromHex('0A01') } },
        },
        {
          parameterName: fromHex('0000600100FF'),
          parameterValue: { type: 'time', value: { type: 'timestamp', timestamp: 5 } },
        },
      ],
    };
    const hex = written((w) => writeTree(w, tree));
    assert.equal(
      hex,
      '73078181C78201FF0172' +
        ['7307', '0100000009FF', '72620103', '0A01', '01'].join('') +
        ['7307', '0000600100FF', '726204', '72620265', '00000005', '01'].join(''),
    );
    assert.deepEqual(readTree(r(hex)), tree);
  });

  it('bounds the depth of parameter trees', () => {
    let hex = '730101' + '01';
    for (let i = 0; i < MAX_DEPTH + 2; i++) hex = `730101 71${hex}`;
    // 73 01 01 71 <tree> ... : a chain of single children
    assert.throws(
      () => readTree(r(hex.replace(/ /g, ''))),
      (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_LIMIT',
    );
  });

  it('reads each SML_ProcParValue choice and rejects unknown tags', () => {
    const listEntry = `7262 05 ${EMH_ENTRY_281}`;
    const v = readProcParValue(r(listEntry));
    assert.equal(v.type, 'listEntry');
    assert.equal(
      written((w) => writeProcParValue(w, v)),
      listEntry.replace(/ /g, '').toUpperCase(),
    );
    const period = readProcParValue(r('726202 75 07 0100010800FF 62 1E 52 FF 62 05 01'));
    assert.equal(period.type, 'periodEntry');
    assert.throws(
      () => readProcParValue(r('726209 01')),
      (e: unknown) => e instanceof SmlError && e.code === 'SMGW_SML_MALFORMED',
    );
  });

  it('reads tree paths and GetProfilePack rows', () => {
    const path = readTreePath(r('72 07 8181C78201FF 07 0100010800FF'));
    assert.deepEqual(path.map(toHex), ['8181C78201FF', '0100010800FF']);
    assert.equal(
      written((w) => writeTreePath(w, path)),
      '72078181C78201FF070100010800FF',
    );
    const header = readProfObjHeaderEntry(r('73 07 0100010800FF 62 1E 52 FF'));
    assert.deepEqual(header, { objName: fromHex('0100010800FF'), unit: 30, scaler: -1 });
    assert.equal(
      written((w) => writeProfObjHeaderEntry(w, header)),
      '73070100010800FF621E52FF',
    );
    const row = readProfObjPeriodEntry(r('74 72620265 00000010 62 00 72 72 6205 01 72 5201 0102 01'));
    assert.equal(row.values.length, 2);
    assert.equal(
      written((w) => writeProfObjPeriodEntry(w, row)),
      '74726202650000001069' + '0000000000000000' + '7272620501725201010201',
    );
  });
});
