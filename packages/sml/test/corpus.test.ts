/**
 * The public meter dumps against libsml's decoding of them (fixtures/README.md has the origin
 * and the comparison rules, which are those of the project's sml-oracle.mjs).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  decodeSmlFile,
  decodeSmlStream,
  type SmlFrameReport,
  type SmlValueReport,
  splitTransportFrames,
} from '@opensmgw/sml';

const DIR = new URL('./fixtures/', import.meta.url);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, DIR)));

interface ExpectedValue {
  obis: string;
  value: number | string;
  unit: string | null;
}
interface ExpectedFrame {
  dump: string;
  frame_index: number;
  obis: ExpectedValue[];
}

const expected = new Map<string, ExpectedFrame[]>();
for (const line of readFileSync(new URL('libsml-expected.jsonl', DIR), 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const e = JSON.parse(line) as ExpectedFrame;
  const list = expected.get(e.dump) ?? [];
  list.push(e);
  expected.set(e.dump, list);
}
for (const list of expected.values()) list.sort((a, b) => a.frame_index - b.frame_index);

const close = (got: number, want: number): boolean => Math.abs(got - want) <= 0.05 + 1e-9 * Math.max(1, Math.abs(want));
const matches = (v: SmlValueReport, o: ExpectedValue): boolean =>
  v.obis === o.obis &&
  (o.unit === null || v.unit === o.unit) &&
  (typeof v.value === 'number'
    ? close(v.value, o.value as number)
    : typeof v.value === 'string' && /^\d+$/.test(v.value) && Number(v.value) === o.value);
/** libsml lacks a correct DZG sign rule: its negative 16.7.0 values of DZG dumps are no reference. */
const disputed = (dump: string, o: ExpectedValue): boolean =>
  /^dzg/i.test(dump) && o.obis === '1-0:16.7.0*255' && typeof o.value === 'number' && o.value < 0;

interface Score {
  values: number;
  hits: number;
  frames: number;
  framesOk: number;
  misses: string[];
}

function score(dump: string, got: SmlFrameReport[]): Score {
  const s: Score = { values: 0, hits: 0, frames: 0, framesOk: 0, misses: [] };
  let cursor = 0;
  for (const e of expected.get(dump) ?? []) {
    const nums = e.obis.filter((o) => typeof o.value === 'number' && !disputed(dump, o));
    if (nums.length === 0) continue;
    const reproduced = (f: SmlFrameReport | undefined): ExpectedValue[] =>
      f?.ok === true ? nums.filter((o) => f.values.some((v) => matches(v, o))) : [];
    let at = e.frame_index;
    let hits = reproduced(got[at]);
    if (hits.length < nums.length) {
      for (let k = cursor; k < got.length; k++) {
        if (k !== e.frame_index && reproduced(got[k]).length === nums.length) {
          at = k;
          hits = nums;
          break;
        }
      }
    }
    cursor = Math.max(cursor, at + 1);
    s.frames++;
    s.values += nums.length;
    s.hits += hits.length;
    if (got[at]?.ok === true) s.framesOk++;
    for (const o of nums) if (!hits.includes(o)) s.misses.push(`frame ${e.frame_index}: ${o.obis}=${o.value}`);
  }
  return s;
}

const dumps = readdirSync(DIR)
  .filter((f) => f.endsWith('.bin'))
  .sort();

describe('corpus: public meter dumps vs libsml', () => {
  it('has the dumps and the reference', () => {
    assert.equal(dumps.length, 23);
    assert.equal(expected.size, 21);
  });

  const total = { values: 0, hits: 0, frames: 0, framesOk: 0 };
  for (const dump of dumps) {
    it(`${dump}: reproduces every reference value`, () => {
      const got = decodeSmlStream(read(dump));
      for (const [i, r] of got.entries()) assert.equal(r.index, i);
      const s = score(dump, got);
      assert.deepEqual(s.misses, []);
      assert.equal(s.framesOk, s.frames);
      total.values += s.values;
      total.hits += s.hits;
      total.frames += s.frames;
      total.framesOk += s.framesOk;
    });
  }

  it('scores 100 % of all reference values (579 values in 138 frames)', () => {
    assert.deepEqual(total, { values: 579, hits: 579, frames: 138, framesOk: 138 });
  });

  it('keeps the sign of DZG power values (none of these meters has the sign bug)', () => {
    const neg = decodeSmlStream(read('DZG_DVS-7420.2V.G2_mtr2_neg.bin'));
    const power = neg.filter((r) => r.ok).map((r) => r.values.find((v) => v.obis === '1-0:16.7.0*255')?.value);
    assert.deepEqual(power, [-105.5, -106.78, -104.38]);
    const dwsb = decodeSmlStream(read('dzg_dwsb20_2th_2byte.bin'));
    assert.equal(dwsb.filter((r) => r.ok).length, 15);
    assert.ok(dwsb.every((r) => !r.ok || (r.values.find((v) => v.obis === '1-0:16.7.0*255')?.value as number) < 0));
  });

  it('decodes the Holley DTZ541-ZDBA dump (bare Unsigned32 valTime), which libsml could not', () => {
    const got = decodeSmlStream(read('HOLLEY_DTZ541-ZDBA.bin'));
    assert.deepEqual(
      got.map((r) => r.ok),
      [true, true, true, true, true, true, true, false],
    );
    assert.equal(got[7]?.error?.code, 'SMGW_SML_TRUNCATED'); // the capture ends inside frame 8
    const first = got[0] as SmlFrameReport;
    assert.equal(first.values.length, 21);
    const v = (obis: string) => first.values.find((x) => x.obis === obis);
    assert.deepEqual(
      [v('1-0:96.50.1*1')?.value, v('1-0:1.8.2*255')?.value, v('1-0:16.7.0*255')?.value],
      ['HLY', 177360.1, 460],
    );
    assert.deepEqual([v('1-0:32.7.0*255')?.value, v('1-0:32.7.0*255')?.unit], [232.3, 'V']);
    assert.deepEqual(
      got.slice(0, 7).map((r) => r.values.find((x) => x.obis === '1-0:1.8.2*255')?.value),
      [177360.1, 177360.3, 177360.5, 177360.7, 177360.9, 177361.1, 177361.3],
    );
  });

  it('the Holley DTZ541-ZDBA dump checks as CRC-16/X.25, transport and messages (not KERMIT)', () => {
    const frames = splitTransportFrames(read('HOLLEY_DTZ541-ZDBA.bin')).filter((e) => e.kind === 'frame');
    assert.equal(frames.length, 7);
    for (const f of frames) {
      assert.equal(f.crc, 'x25');
      for (const m of decodeSmlFile(f.file).messages) assert.deepEqual([m.crcOk, m.crcVariant], [true, 'x25']);
    }
  });

  it('re-synchronises through the broken DZG capture without inventing values', () => {
    const got = decodeSmlStream(read('DZG_DVS-7420.2V.G2_mtr1_error.bin'));
    assert.equal(got.length, 8);
    assert.ok(got.every((r) => !r.ok && r.values.length === 0 && r.error?.code === 'SMGW_SML_TRUNCATED'));
  });

  it('reports the damaged EasyMeter frame and the captures cut at both ends', () => {
    const easy = decodeSmlStream(read('EasyMeter_Q3A_A1064V1009.bin'));
    assert.deepEqual(
      easy.map((r) => (r.ok ? 'ok' : r.error?.code)),
      ['SMGW_SML_CRC', 'ok', 'ok', 'SMGW_SML_TRUNCATED', 'SMGW_SML_TRUNCATED', 'ok', 'ok', 'SMGW_SML_TRUNCATED'],
    );
  });
});
