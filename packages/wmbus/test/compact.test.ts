import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import {
  BUILT_IN_FORMATS,
  decodeCompactFrame,
  encodeCompactFrame,
  expandCompactData,
  FormatStore,
  formatSignature,
  MAX_FORMAT_BYTES,
} from '../src/compact.js';
import { WmbusError } from '../src/errors.js';
import type { Explain } from '../src/explain.js';
import { encodeRecords, type RecordInput } from '../src/record-encoder.js';
import { decodeRecords } from '../src/records.js';
import { reproduces, scored } from './wmbusmeters-fields.js';

interface CompactCase {
  line: number;
  driver: string;
  full?: string;
  compact: string;
  expected: Record<string, number>;
}
const cases: CompactCase[] = readFileSync(new URL('./fixtures/compact-frames.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));

const hasCode = (code: string) => (e: unknown) => e instanceof WmbusError && e.code === code;

describe('format signatures', () => {
  it('are the EN 13757 CRC-16 of the format bytes (wmbusmeters’ Kamstrup hashes)', () => {
    assert.equal(formatSignature(fromHex('02FF2004134413615B6167')), 0xa8ed);
    assert.equal(formatSignature(fromHex('02FF2004134413')), 0xdd34);
  });
  it('match every entry of the built-in table', () => {
    for (const f of BUILT_IN_FORMATS) {
      assert.equal(formatSignature(fromHex(f.format)), f.signature, f.format);
      // and each built-in format is a valid record format
      assert.ok(expandCompactData(fromHex(f.format), new Uint8Array(256).fill(0x2f)).length > 0);
    }
  });
});

describe('FormatStore', () => {
  it('learns formats and returns them by signature; built-ins without learning', () => {
    const store = new FormatStore();
    const format = fromHex('0C14046D02FD17');
    const sig = store.learn(format);
    assert.equal(sig, formatSignature(format));
    assert.equal(toHex(store.get(sig) as Uint8Array), '0C14046D02FD17');
    assert.equal(toHex(store.get(0xa8ed) as Uint8Array), '02FF2004134413615B6167');
    assert.equal(new FormatStore({ builtIn: false }).get(0xa8ed), undefined);
  });
  it('keeps its own copy of a learned format', () => {
    const store = new FormatStore();
    const format = fromHex('0C14');
    const sig = store.learn(format);
    format[0] = 0;
    assert.equal(toHex(store.get(sig) as Uint8Array), '0C14');
  });
  it('does not learn the empty format, nor one longer than MAX_FORMAT_BYTES', () => {
    const store = new FormatStore();
    store.learn(new Uint8Array(0));
    store.learn(new Uint8Array(MAX_FORMAT_BYTES + 1).fill(0x00));
    assert.equal(store.size, 0);
  });
  it('is bounded: the least recently learned format goes first', () => {
    const store = new FormatStore({ capacity: 2, builtIn: false });
    const a = store.learn(fromHex('0413'));
    const b = store.learn(fromHex('0414'));
    store.learn(fromHex('0413')); // a is fresh again
    const c = store.learn(fromHex('0415'));
    assert.equal(store.size, 2);
    assert.ok(store.get(a));
    assert.equal(store.get(b), undefined);
    assert.ok(store.get(c));
    for (let i = 0; i < 5000; i++) store.learn(Uint8Array.of(0x04, 0x13, 0x84, i & 0x7f, 0x0d + (i >> 7)));
    assert.equal(store.size, 2);
  });
});

describe('decodeCompactFrame: Kamstrup telegrams of the wmbusmeters tests', () => {
  for (const c of cases.filter((x) => x.full !== undefined)) {
    it(`line ${c.line} ${c.driver}: learned from the full frame, values as wmbusmeters reports them`, () => {
      const full = decodeRecords(fromHex(c.full as string));
      const store = new FormatStore({ builtIn: false });
      store.learn(full.format);
      const r = decodeCompactFrame(fromHex(c.compact), store);
      for (const [field, want] of Object.entries(c.expected)) {
        assert.ok(reproduces(r.records, field, want), `${field}=${want}`);
      }
      assert.equal(toHex(r.format), toHex(full.format));
    });
    it(`line ${c.line} ${c.driver}: encodeCompactFrame gives back the meter's own compact frame`, () => {
      // the meter's compact frame carries the data of a later reading: rebuild it from its records
      const store = new FormatStore();
      const r = decodeCompactFrame(fromHex(c.compact), store);
      const again = encodeCompactFrame(r.records);
      assert.equal(toHex(again), c.compact);
    });
  }
  for (const c of cases.filter((x) => x.full === undefined && x.line !== 161)) {
    it(`line ${c.line} ${c.driver}: decoded with the built-in formats alone`, () => {
      const r = decodeCompactFrame(fromHex(c.compact), new FormatStore());
      const fields = Object.entries(c.expected).filter(([f]) => scored(f));
      for (const [field, want] of fields) {
        // wmbusmeters computes some fields (e.g. totals over phases) that are no record
        if (field === 'current_power_consumption_kw' && c.driver === 'omnipower') continue;
        assert.ok(reproduces(r.records, field, want), `${field}=${want}`);
      }
    });
  }
  it('line 161 flowiq2200: a hand-edited test telegram whose full-frame CRC no longer matches', () => {
    const c = cases.find((x) => x.line === 161) as CompactCase;
    assert.throws(() => decodeCompactFrame(fromHex(c.compact), new FormatStore()), hasCode('SMGW_WMBUS_CRC'));
  });
});

describe('decodeCompactFrame: errors', () => {
  const store = new FormatStore({ builtIn: false });
  const payload = encodeRecords([
    { dataField: 0xc, vif: '14', value: 28504.27 },
    { dataField: 0x4, vif: '6D', value: '2008-05-31T23:50' },
  ]);
  store.learn(decodeRecords(payload).format);
  const compact = encodeCompactFrame(payload);

  it('decodes its own compact frame', () => {
    assert.deepEqual(decodeCompactFrame(compact, store).records, decodeRecords(payload).records);
  });
  it('unknown signature: SMGW_WMBUS_UNKNOWN_FORMAT with the signature', () => {
    assert.throws(
      () => decodeCompactFrame(compact, new FormatStore({ builtIn: false })),
      (e) =>
        e instanceof WmbusError &&
        e.code === 'SMGW_WMBUS_UNKNOWN_FORMAT' &&
        e.detail['signature'] === formatSignature(fromHex('0C14046D')),
    );
  });
  it('a changed data byte: SMGW_WMBUS_CRC', () => {
    const bad = Uint8Array.from(compact);
    bad[5] = (bad[5] as number) ^ 0x01;
    assert.throws(() => decodeCompactFrame(bad, store), hasCode('SMGW_WMBUS_CRC'));
  });
  it('too short for the header, or for the format: SMGW_WMBUS_TRUNCATED', () => {
    for (let n = 0; n < compact.length; n++) {
      assert.throws(() => decodeCompactFrame(compact.subarray(0, n), store), hasCode('SMGW_WMBUS_TRUNCATED'), `${n}`);
    }
  });
  it('trailing idle fillers are ignored, other trailing bytes are malformed', () => {
    const filled = Uint8Array.from([...compact, 0x2f, 0x2f]);
    assert.equal(decodeCompactFrame(filled, store).records.length, 2);
    assert.throws(
      () => decodeCompactFrame(Uint8Array.from([...compact, 0x01]), store),
      hasCode('SMGW_WMBUS_MALFORMED'),
    );
  });
  it('a format with a special function DIF is malformed', () => {
    assert.throws(() => expandCompactData(fromHex('0F'), new Uint8Array(0)), hasCode('SMGW_WMBUS_MALFORMED'));
  });
  it('explains signature, CRC and the rebuilt records', () => {
    const explain: Explain = [];
    decodeCompactFrame(compact, store, explain);
    assert.match(explain[0]?.text ?? '', /^compact frame format signature [0-9A-F]{4}$/);
    assert.match(
      explain[1]?.text ?? '',
      /^full-frame CRC [0-9A-F]{4} ok; records below at offsets of the rebuilt full frame 0C14/,
    );
    assert.ok(explain.some((e) => e.text === 'volume = 28504.27 m3'));
  });
});

describe('encodeCompactFrame', () => {
  it('drops fillers and refuses manufacturer data', () => {
    const records: RecordInput[] = [{ dataField: 0x2, vif: 'FD17', value: 0 }];
    const withFillers = encodeRecords(records, { leadingFillers: 2 });
    assert.equal(toHex(encodeCompactFrame(withFillers)), toHex(encodeCompactFrame(records)));
    assert.throws(
      () => encodeCompactFrame(encodeRecords(records, { manufacturerData: Uint8Array.of(1) })),
      hasCode('SMGW_WMBUS_ENCODE'),
    );
  });
});
