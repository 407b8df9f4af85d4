import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { WmbusError } from '../src/errors.js';
import type { Explain } from '../src/explain.js';
import { encodeRecords, type RecordInput } from '../src/record-encoder.js';
import { type DataRecord, decodeRecords } from '../src/records.js';
import { reproduces } from './wmbusmeters-fields.js';

const decode = (hex: string) => decodeRecords(fromHex(hex));
/** The contract fields of a record, for compact assertions. */
const brief = (r: DataRecord) => [r.quantity, r.unit, r.value];

describe('decodeRecords: OMS Vol.2 Annex N vectors', () => {
  it('N.2.1 gas meter plaintext: volume, date/time, error flags', () => {
    const r = decode('2F2F0C1427048502046D32371F1502FD1700002F2F2F2F2F2F2F2F2F2F2F2F2F');
    assert.deepEqual(r.records, [
      {
        dif: '0C',
        vif: '14',
        storage: 0,
        tariff: 0,
        subunit: 0,
        function: 'instantaneous',
        quantity: 'volume',
        unit: 'm3',
        value: 28504.27,
      },
      {
        dif: '04',
        vif: '6D',
        storage: 0,
        tariff: 0,
        subunit: 0,
        function: 'instantaneous',
        quantity: 'date and time',
        unit: 'datetime',
        value: '2008-05-31T23:50',
      },
      {
        dif: '02',
        vif: 'FD17',
        storage: 0,
        tariff: 0,
        subunit: 0,
        function: 'instantaneous',
        quantity: 'error flags',
        unit: '',
        value: 0,
      },
    ]);
    assert.equal(toHex(r.format), '0C14046D02FD17');
    assert.equal(r.manufacturerData, null);
    assert.equal(r.moreRecordsFollow, false);
    assert.equal(r.undecoded, undefined);
  });
  it('N.5.3 heat cost allocator: HCA units, storage 1 date and value, customer location', () => {
    const r = decode('2F2F0B6E341200426CFE044B6E5634020CFD1078563412');
    assert.deepEqual(
      r.records.map((x) => [x.storage, ...brief(x)]),
      [
        [0, 'heat cost allocation', 'HCA', 1234],
        [1, 'date', 'date', '2007-04-30'],
        [1, 'heat cost allocation', 'HCA', 23456],
        [0, 'customer location', '', 12345678],
      ],
    );
  });
  it('N.5.4 wired heat cost allocator: fabrication number', () => {
    const r = decode('2F2F0B6E341200426CFE044B6E5634020CFD10785634120C7844332211');
    assert.deepEqual(brief(r.records[4] as DataRecord), ['fabrication number', '', 11223344]);
  });
});

describe('decodeRecords: the data information block', () => {
  it('reads the function field', () => {
    const r = decode('04130100000014130200000024130300000034130400000000'.slice(0, 48));
    assert.deepEqual(
      r.records.map((x) => x.function),
      ['instantaneous', 'maximum', 'minimum', 'error'],
    );
  });
  it('adds storage, tariff and subunit bits of every DIFE', () => {
    const r = decode('C48F7F1305000000');
    const x = r.records[0] as DataRecord;
    assert.deepEqual([x.dif, x.storage, x.tariff, x.subunit, x.value], ['C48F7F', 511, 12, 2, 0.005]);
    // ime: DIF 84 DIFE 90 10 -> tariff 1 + 1 × 4
    assert.equal((decode('8490100300000000').records[0] as DataRecord).tariff, 5);
  });
  it('accepts 10 DIFEs (storage beyond 2^32) and stops at the 11th', () => {
    const ten = `84${'8F'.repeat(9)}0F1301000000`;
    const x = decode(ten).records[0] as DataRecord;
    assert.equal(x.storage, 2 ** 41 - 2);
    const eleven = `84${'8F'.repeat(10)}0F1301000000`;
    const r = decode(eleven);
    assert.deepEqual(r.records, []);
    assert.equal(r.undecoded?.offset, 0);
    assert.equal(r.undecoded?.error.code, 'SMGW_WMBUS_MALFORMED');
    assert.throws(
      () => decodeRecords(fromHex(eleven), undefined, { strict: true }),
      (e) => e instanceof WmbusError && e.code === 'SMGW_WMBUS_MALFORMED',
    );
  });
});

describe('decodeRecords: data types', () => {
  it('integers: signed for measurements, unsigned for identifiers and flags', () => {
    const r = decode('142DE7FFFFFF02FD17FFFF');
    assert.deepEqual(brief(r.records[0] as DataRecord), ['power', 'W', -2500]); // Kamstrup max power -2.5 kW
    assert.deepEqual(brief(r.records[1] as DataRecord), ['error flags', '', 65535]);
  });
  it('64-bit identifiers beyond 2^53 exactly, as decimal strings', () => {
    const r = decode('0779ABCDEF0123456789');
    assert.equal((r.records[0] as DataRecord).value, '9900958322455989675');
    assert.equal((decode('07790100000000000000').records[0] as DataRecord).value, 1);
  });
  it('32-bit real', () => {
    assert.deepEqual(brief(decode('052B0000C03F').records[0] as DataRecord), ['power', 'W', 1.5]);
  });
  it('BCD: negative and invalid', () => {
    const r = decode('0A5A15F20A59FFFF0C13FFFFFFFF');
    assert.deepEqual(brief(r.records[0] as DataRecord), ['flow temperature', '°C', -21.5]);
    assert.deepEqual(brief(r.records[1] as DataRecord), ['flow temperature', '°C', null]);
    assert.deepEqual(brief(r.records[2] as DataRecord), ['volume', 'm3', null]);
  });
  it('no data and selection for readout', () => {
    const r = decode('0013081308FD17');
    assert.deepEqual(
      r.records.map((x) => x.value),
      [null, null, null],
    );
  });
  it('variable length: text, positive and negative BCD, binary', () => {
    const r = decode('0DFD0E07302E38322E31420D13C234120D13D1250D13E3010203');
    assert.deepEqual(
      r.records.map((x) => x.value),
      ['B1.28.0', 1.234, -0.025, 0x030201 / 1000],
    );
    const long = decode(`0D13F0${'AB'.repeat(16)}`).records[0] as DataRecord; // 16-byte binary: hex
    assert.equal(long.value, 'AB'.repeat(16));
  });
  it('date and time types by data length: G, J, F, I', () => {
    const r = decode('026CFE04036D3B3B17046D32371F15066D38114EEA2100326CFFFF');
    assert.deepEqual(
      r.records.map((x) => [x.unit, x.value]),
      [
        ['date', '2007-04-30'],
        ['', '23:59:59'],
        ['datetime', '2008-05-31T23:50'],
        ['datetime', '2023-01-10T14:17:56'],
        ['date', null],
      ],
    );
  });
  it('manufacturer-specific VIF: data kept as hex', () => {
    const r = decode('04FF200413441301FF2100');
    assert.deepEqual(
      r.records.map((x) => [x.vif, ...brief(x)]),
      [
        ['FF20', 'manufacturer specific', '', '04134413'],
        ['FF21', 'manufacturer specific', '', '00'],
      ],
    );
  });
  it('plain-text VIF: the text (sent last character first) is the quantity', () => {
    const r = decode('047C0368576B2A000000');
    const x = r.records[0] as DataRecord;
    assert.deepEqual([x.vif, x.quantity, x.unit, x.value], ['7C', 'kWh', '', 42]);
    // with a VIFE: the text follows the whole VIB
    const y = decode('02FC7401250A00').records[0] as DataRecord;
    assert.deepEqual([y.vif, y.quantity, y.value], ['FC74', '% (correction factor 10^-2)', 0.1]);
    assert.equal(toHex(decode('02FC7401250A00').format), '02FC740125');
  });
});

describe('decodeRecords: special functions and fillers', () => {
  it('skips idle fillers anywhere between records', () => {
    const r = decode('2F2F0413010000002F2F02FD1700002F');
    assert.equal(r.records.length, 2);
    assert.equal(toHex(r.format), '041302FD17');
  });
  it('DIF 0F: the rest is manufacturer data', () => {
    const r = decode('0413010000000F0120012F2F');
    assert.equal(r.records.length, 1);
    assert.equal(toHex(r.manufacturerData as Uint8Array), '0120012F2F');
    assert.equal(r.moreRecordsFollow, false);
  });
  it('DIF 1F: more records follow', () => {
    const r = decode('0413010000001F');
    assert.equal(r.moreRecordsFollow, true);
    assert.equal((r.manufacturerData as Uint8Array).length, 0);
  });
  it('stops at a reserved special function, keeping the records before it', () => {
    const r = decode('0413010000003F00');
    assert.equal(r.records.length, 1);
    assert.deepEqual([r.undecoded?.offset, r.undecoded?.error.code], [6, 'SMGW_WMBUS_MALFORMED']);
  });
  it('stops at a reserved LVAR code', () => {
    const r = decode('0D13FB00');
    assert.deepEqual([r.undecoded?.offset, r.undecoded?.error.code], [0, 'SMGW_WMBUS_UNSUPPORTED']);
  });
});

describe('decodeRecords: truncation', () => {
  it('keeps complete records and reports where decoding stopped (a stray byte after the last record)', () => {
    // qcaloric telegram from the wmbusmeters tests: two bytes DD 2F after the last record
    const r = decode('0B6E0403004B6E660300426C9E29326CFFFF046D1416B921DD2F');
    assert.deepEqual(
      r.records.map((x) => x.value),
      [304, 366, '2020-09-30', null, '2021-01-25T22:20'],
    );
    assert.equal(r.undecoded?.offset, 24);
    assert.equal(r.undecoded?.error.code, 'SMGW_WMBUS_TRUNCATED');
    assert.equal(toHex(r.format), '0B6E4B6E426C326C046D');
  });
  it('strict mode throws SMGW_WMBUS_TRUNCATED for every cut of a record', () => {
    const full = fromHex('0C1427048502');
    for (let n = 1; n < full.length; n++) {
      assert.throws(
        () => decodeRecords(full.subarray(0, n), undefined, { strict: true }),
        (e) => e instanceof WmbusError && e.code === 'SMGW_WMBUS_TRUNCATED',
        `cut at ${n}`,
      );
    }
    assert.equal(decodeRecords(full, undefined, { strict: true }).records.length, 1);
  });
});

describe('decodeRecords: --explain', () => {
  it('accounts for every byte in order, with the meaning of each part', () => {
    const hex = '2F2F0C1427048502C48F7F1305000000047C0368576B2A000000046D32371F150F0102';
    const explain: Explain = [];
    decodeRecords(fromHex(hex), explain);
    assert.equal(explain.map((e) => e.hex).join(''), hex);
    let offset = 0;
    for (const e of explain) {
      assert.equal(e.offset, offset);
      assert.equal(e.layer, 'apl');
      offset += e.hex.length / 2;
    }
    const texts = explain.map((e) => e.text);
    assert.ok(texts.includes('idle filler'));
    assert.ok(texts.includes('VIF 14: volume [× 10^-2 m3]'));
    assert.ok(texts.includes('volume = 28504.27 m3'));
    assert.ok(texts.some((t) => t.startsWith('DIFE 2: storage bits 15, tariff bits 3, subunit bit 1 (storage 511')));
    assert.ok(texts.some((t) => t.includes('plain-text unit') && t.includes('"kWh"')));
    assert.ok(texts.includes('date and time = "2008-05-31T23:50" (datetime)'));
    assert.ok(texts.includes('DIF 0F: manufacturer-specific data follows'));
  });
});

describe('decodeRecords: wmbusmeters corpus payloads (fixtures/apl-records.jsonl)', () => {
  const lines = readFileSync(new URL('./fixtures/apl-records.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n');
  it(`reproduces every expected standard-record value of ${lines.length} payloads`, () => {
    let fields = 0;
    for (const line of lines) {
      const c = JSON.parse(line) as { line: number; driver: string; apl: string; expected: Record<string, number> };
      const { records } = decode(c.apl);
      for (const [field, want] of Object.entries(c.expected)) {
        assert.ok(reproduces(records, field, want), `corpus line ${c.line} (${c.driver}): ${field}=${want}`);
        fields++;
      }
    }
    assert.ok(fields > 700, `${fields} values checked`);
  });
});

describe('encodeRecords', () => {
  it('encodes the OMS Annex N.2.1 records byte for byte', () => {
    const bytes = encodeRecords(
      [
        { dataField: 0xc, vif: '14', value: 28504.27 },
        { dataField: 0x4, vif: '6D', value: '2008-05-31T23:50' },
        { dataField: 0x2, vif: 'FD17', value: 0 },
      ],
      { leadingFillers: 2 },
    );
    assert.equal(toHex(bytes), '2F2F0C1427048502046D32371F1502FD170000');
  });
  it('builds the fewest DIFEs for storage, tariff and subunit', () => {
    const bytes = encodeRecords([
      { dataField: 0x4, vif: '13', storage: 511, tariff: 12, subunit: 2, value: 0.005 },
      { dataField: 0x2, vif: '6C', storage: 1, value: '2007-04-30' },
      { dataField: 0x4, vif: '13', function: 'maximum', tariff: 1, value: 0 },
    ]);
    assert.equal(toHex(bytes), 'C48F7F1305000000426CFE0494101300000000');
  });
  it('takes a DataRecord as input: decode(encode(decode(x))) = decode(x)', () => {
    const hex =
      '2F2F0C1427048502C48F7F1305000000046D32371F15142DE7FFFFFF0DFD0E07302E38322E31420779ABCDEF012345678904FF200413441302FC7401250A00';
    const first = decode(hex).records;
    // a plain-text VIF's text is not in DataRecord.vif: give it back as plainText
    const inputs: RecordInput[] = first.map((r) => (r.vif === 'FC74' ? { ...r, plainText: '%' } : r));
    const again = decodeRecords(encodeRecords(inputs)).records;
    assert.deepEqual(again, first);
    assert.equal(toHex(encodeRecords(inputs, { leadingFillers: 2 })), hex);
  });
  it('round-trips every corpus payload of fixtures/apl-records.jsonl', () => {
    const lines = readFileSync(new URL('./fixtures/apl-records.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n');
    for (const line of lines) {
      const c = JSON.parse(line) as { line: number; apl: string };
      const first = decode(c.apl);
      const inputs: RecordInput[] = first.records.map((r) =>
        r.vif.startsWith('7C') || r.vif.startsWith('FC') ? { ...r, plainText: r.quantity } : r,
      );
      const again = decodeRecords(encodeRecords(inputs));
      assert.deepEqual(again.records, first.records, `corpus line ${c.line}`);
      assert.equal(toHex(again.format), toHex(first.format), `corpus line ${c.line}`);
    }
  });
  it('writes manufacturer data after DIF 0F or 1F', () => {
    assert.equal(toHex(encodeRecords([], { manufacturerData: fromHex('0102') })), '0F0102');
    assert.equal(toHex(encodeRecords([], { moreRecordsFollow: true })), '1F');
  });
  const encodeError = (records: RecordInput[], why: RegExp) =>
    assert.throws(
      () => encodeRecords(records),
      (e) => e instanceof WmbusError && e.code === 'SMGW_WMBUS_ENCODE' && why.test(e.message),
    );
  it('refuses what the wire cannot carry, with SMGW_WMBUS_ENCODE', () => {
    encodeError([{ dataField: 0xc, vif: '14', value: 1.234 }], /not a multiple of the resolution/);
    encodeError([{ dataField: 0x4, vif: '13', value: null }], /cannot carry null/);
    encodeError([{ dataField: 0x1, vif: '13', value: 0.2 }], /does not fit 1 byte/);
    encodeError([{ dataField: 0x1, vif: 'FD17', value: -1 }], /does not fit/);
    encodeError([{ dataField: 0x2, vif: '6C', value: '2007-02-30' }], /not a valid type G/);
    encodeError([{ dataField: 0x2, vif: '6C', value: 5 }], /ISO-8601/);
    encodeError([{ dataField: 0x0, vif: '13', value: 5 }], /carries no value/);
    encodeError([{ dataField: 0xf, vif: '13', value: null }], /not a data field code/);
    encodeError([{ dif: '84', vif: '13', value: 1 }], /extension bits/);
    encodeError([{ dif: '0F', vif: '13', value: 1 }], /special functions/);
    encodeError([{ dataField: 0x4, vif: '93', value: 1 }], /extension bit set/);
    encodeError([{ dataField: 0x4, vif: '1313', value: 1 }], /bytes after the last VIFE/);
    encodeError([{ dataField: 0x4, vif: '7C', value: 1 }], /without plainText/);
    encodeError([{ dataField: 0x4, vif: '7F', value: 1 }], /given as hex/);
    encodeError([{ dataField: 0x4, vif: '7F', value: '01' }], /needs 4/);
    encodeError([{ dataField: 0x4, vif: '13', storage: -1, value: 1 }], /storage -1/);
    encodeError([{ dataField: 0x4, vif: '13', tariff: 2 ** 20, value: 1 }], /tariff/);
    encodeError([{ dataField: 0x4, vif: 'ZZ', value: 1 }], /not hex/);
    encodeError([{ dataField: 0xd, vif: '13', value: 'x'.repeat(192) }], /longer than 191/);
  });
  it('sends variable-length values as text, BCD or binary', () => {
    assert.equal(toHex(encodeRecords([{ dataField: 0xd, vif: 'FD0E', value: 'B1.28.0' }])), '0DFD0E07302E38322E3142');
    assert.equal(toHex(encodeRecords([{ dataField: 0xd, vif: '13', value: -0.025 }])), '0D13D125');
    assert.equal(toHex(encodeRecords([{ dataField: 0xd, vif: '13', value: 197.121, lvar: 'binary' }])), '0D13E3010203');
    assert.equal(
      toHex(encodeRecords([{ dataField: 0xd, vif: '7F', value: 'AB'.repeat(16) }])),
      `0D7F10${'AB'.repeat(16)}`,
    );
    const binary = encodeRecords([{ dataField: 0xd, vif: '7F', value: 'AB'.repeat(16), lvar: 'binary' }]);
    assert.equal(toHex(binary), `0D7FF0${'AB'.repeat(16)}`);
  });
});
