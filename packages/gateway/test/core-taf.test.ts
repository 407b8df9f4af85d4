/**
 * TAF 1, 2, 6, 7 as pure functions over a ReadingSource, against hand-computed results
 * (spec notes §6, §6.3). Readings are generated on a UTC 15-minute grid, which is the Berlin
 * grid too (whole-hour offsets), so the test data does not depend on the code under test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvaluationProfile, TariffProgram } from '@opensmgw/protocol';
import { SYSTEMTIME_INVALID } from '../src/core/gateway-time.js';
import { evaluatePeriod } from '../src/core/taf/evaluate.js';
import { nextPeriodEnd } from '../src/core/taf/periods.js';
import { taf1 } from '../src/core/taf/taf1.js';
import { stageAt, taf2 } from '../src/core/taf/taf2.js';
import { taf6 } from '../src/core/taf/taf6.js';
import { taf7 } from '../src/core/taf/taf7.js';
import { ArrayReadingSource } from './fixtures/core-fakes.js';

const t = (iso: string) => Date.parse(iso);
const Q = 900_000;
const E = '0100010800ff';

const base: EvaluationProfile = {
  id: 'p1',
  taf: 7,
  meterId: 'M1',
  channels: [E],
  recipients: ['emt-1'],
  registrationPeriodSeconds: 900,
  timeZone: 'Europe/Berlin',
  validFrom: '2026-01-05T23:00:00.000Z',
};

describe('TAF 7 (register-value series)', () => {
  it('takes the last counted reading of each raster interval, keeps its capture time', () => {
    const src = new ArrayReadingSource()
      .add({ captureTimeMs: t('2026-01-05T23:05:00Z'), value: 100 })
      .add({ captureTimeMs: t('2026-01-05T23:14:00Z'), value: 110, meterStatus: 0x100 })
      .add({ captureTimeMs: t('2026-01-05T23:17:00Z'), value: 120 })
      .add({ captureTimeMs: t('2026-01-05T23:20:00Z'), value: 999, security: 'mode5' })
      .add({ captureTimeMs: t('2026-01-05T23:25:00Z'), value: 125, obis: '0100020800ff' });
    const r1 = taf7(base, src, t('2026-01-05T23:15:00Z'));
    assert.deepEqual(r1.notes, []);
    assert.deepEqual(r1.values, [
      {
        evaluationProfileId: 'p1',
        meterId: 'M1',
        obis: E,
        kind: 'original',
        value: '110',
        scaler: 0,
        unit: 'Wh',
        captureTimeMs: t('2026-01-05T23:14:00Z'),
        targetTimeMs: t('2026-01-05T23:15:00Z'),
        smgwStatus: 0,
        meterStatus: 0x100,
      },
    ]);
    // The mode-5 value at 23:20 never counts, even as the newest one (spec §8.2).
    const r2 = taf7(base, src, t('2026-01-05T23:30:00Z'));
    assert.equal(r2.values[0]?.value, '120');
  });

  it('a reading exactly on the raster end belongs to the interval it ends', () => {
    const src = new ArrayReadingSource().add({ captureTimeMs: t('2026-01-06T00:00:00Z'), value: 7 });
    assert.equal(taf7(base, src, t('2026-01-06T00:00:00Z')).values[0]?.value, '7');
    assert.equal(taf7(base, src, t('2026-01-06T00:15:00Z')).values.length, 0);
  });

  it('a missing value is not invented; the calibration log notes the gap once, at its start', () => {
    const src = new ArrayReadingSource()
      .add({ captureTimeMs: t('2026-01-06T00:10:00Z'), value: 1 })
      .add({ captureTimeMs: t('2026-01-06T01:10:00Z'), value: 2 });
    const ends = [0, 1, 2, 3, 4, 5].map((k) => t('2026-01-06T00:15:00Z') + k * Q);
    const results = ends.map((e) => taf7(base, src, e));
    assert.deepEqual(
      results.map((r) => r.values.length),
      [1, 0, 0, 0, 1, 0],
    );
    assert.deepEqual(
      results.map((r) => r.notes.length),
      [0, 1, 0, 0, 0, 1],
    );
    const note = results[1]!.notes[0]!;
    assert.equal(note.event, 'TAF_NO_READING');
    assert.match(note.message, /no reading for 2026-01-06T00:30:00.000Z/);
    assert.equal(note.subject, 'p1');
  });

  it('the first interval of a profile without a value is noted', () => {
    const r = taf7(base, new ArrayReadingSource(), t('2026-01-05T23:15:00Z'));
    assert.equal(r.notes.length, 1);
  });

  it('values captured with invalid time keep their status word 0x200', () => {
    const src = new ArrayReadingSource().add({
      captureTimeMs: t('2026-01-05T23:05:00Z'),
      value: 1,
      smgwStatus: SYSTEMTIME_INVALID,
    });
    assert.equal(taf7(base, src, t('2026-01-05T23:15:00Z')).values[0]?.smgwStatus, SYSTEMTIME_INVALID);
  });
});

describe('TAF 6 (daily values)', () => {
  const p: EvaluationProfile = { ...base, taf: 6, channels: [E, '0100020800ff'] };
  it('one daily value per channel at local midnight; a missing one is noted', () => {
    const src = new ArrayReadingSource()
      .add({ captureTimeMs: t('2026-01-06T22:50:00Z'), value: 500 })
      .add({ captureTimeMs: t('2026-01-06T22:59:59Z'), value: 501 })
      .add({ captureTimeMs: t('2026-01-06T23:00:01Z'), value: 502 })
      .add({ captureTimeMs: t('2026-01-06T22:40:00Z'), value: 9, obis: '0100020800ff' });
    const midnight = nextPeriodEnd(p, t('2026-01-06T12:00:00Z'));
    assert.equal(midnight, t('2026-01-06T23:00:00Z'));
    const r = taf6(p, src, midnight);
    assert.equal(r.values.length, 1);
    assert.equal(r.values[0]?.kind, 'daily');
    assert.equal(r.values[0]?.value, '501');
    assert.equal(r.values[0]?.targetTimeMs, midnight);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0]!.message, /0100020800ff/);
  });
});

describe('TAF 1 (register value per billing period)', () => {
  it('the register value at each billing period end (local midnight of the 1st), kind derived', () => {
    const p: EvaluationProfile = { ...base, taf: 1, billingPeriod: { months: 1 } };
    const end = nextPeriodEnd(p, t(p.validFrom));
    assert.equal(end, t('2026-01-31T23:00:00Z'));
    const src = new ArrayReadingSource()
      .add({ captureTimeMs: end - 60_000, value: 123456, scaler: -1, unit: 'Wh' })
      .add({ captureTimeMs: end + 60_000, value: 123999, scaler: -1 });
    const r = taf1(p, src, end);
    assert.deepEqual(
      r.values.map((v) => [v.kind, v.value, v.scaler, v.targetTimeMs]),
      [['derived', '123456', -1, end]],
    );
    assert.deepEqual(taf1(p, new ArrayReadingSource(), end).notes.length, 1);
  });
});

/** Day profile 1: T1 (night) 00:00-06:00 and 22:00-24:00, T2 (day) 06:00-22:00; day profile 2: T1 all day. */
const tariff: TariffProgram = {
  stages: [
    { tariffNumber: 1, obis: '0100010801ff' },
    { tariffNumber: 2, obis: '0100010802ff' },
  ],
  errorRegisterObis: '0100010863ff'.replace('63', '3f'),
  dayProfiles: [
    {
      dayId: 1,
      switches: [
        { time: '00:00', tariffNumber: 1 },
        { time: '06:00', tariffNumber: 2 },
        { time: '22:00', tariffNumber: 1 },
      ],
    },
    { dayId: 2, switches: [{ time: '00:00', tariffNumber: 1 }] },
  ],
  weekdays: [1, 1, 1, 1, 1, 1, 1],
  specialDays: [{ date: '2026-03-10', dayId: 2 }],
};
const T1 = '0100010801ff';
const T2 = '0100010802ff';
const ERR = '01000108' + '3f' + 'ff';

const taf2Profile: EvaluationProfile = {
  ...base,
  id: 'tou',
  taf: 2,
  billingPeriod: { months: 1 },
  tariff,
  validFrom: '2026-02-28T23:00:00.000Z', // 1 March 2026, local midnight
};

/** A meter that uses 10 Wh every 15 minutes: register 1000 + 10 k at the k-th quarter hour since validFrom. */
function steadyMeter(
  fromIso: string,
  toIso: string,
  skip: (ms: number) => Partial<{ drop: boolean; smgwStatus: number; security: 'mode5' }> = () => ({}),
) {
  const src = new ArrayReadingSource();
  const from = t(fromIso);
  for (let ms = from, k = 0; ms <= t(toIso); ms += Q, k++) {
    const s = skip(ms);
    if (s.drop) continue;
    src.add({
      captureTimeMs: ms,
      value: 1000 + 10 * k,
      ...(s.smgwStatus === undefined ? {} : { smgwStatus: s.smgwStatus }),
      ...(s.security === undefined ? {} : { security: s.security }),
    });
  }
  return src;
}

const registers = (values: readonly { obis: string; value: string }[]) =>
  Object.fromEntries(values.map((v) => [v.obis, v.value]));

describe('TAF 2 (time-of-use registers, spec §6.3)', () => {
  it('stage lookup: weekday profile, special day, and both DST days by local wall time', () => {
    const B = 'Europe/Berlin';
    assert.equal(stageAt(tariff, t('2026-03-09T05:00:00Z'), B)?.obis, T2); // 06:00 CET
    assert.equal(stageAt(tariff, t('2026-03-09T04:45:00Z'), B)?.obis, T1); // 05:45 CET
    assert.equal(stageAt(tariff, t('2026-03-10T12:00:00Z'), B)?.obis, T1); // special day
    assert.equal(stageAt(tariff, t('2026-03-29T03:45:00Z'), B)?.obis, T1); // 05:45 CEST
    assert.equal(stageAt(tariff, t('2026-03-29T04:00:00Z'), B)?.obis, T2); // 06:00 CEST
    assert.equal(stageAt(tariff, t('2026-10-25T20:45:00Z'), B)?.obis, T2); // 21:45 CET
    assert.equal(stageAt(tariff, t('2026-10-25T21:00:00Z'), B)?.obis, T1); // 22:00 CET
  });

  it('March 2026: special day, spring DST day, a missing, an invalid-time and a mode-5 reading', () => {
    const broken = new Set([
      t('2026-03-02T06:00:00Z'), // 07:00 CET, day tariff: dropped
      t('2026-03-03T11:00:00Z'), // 12:00 CET, day tariff: captured with invalid time
      t('2026-03-04T22:00:00Z'), // 23:00 CET, night tariff: mode 5 only
    ]);
    const src = steadyMeter('2026-02-28T23:00:00Z', '2026-04-01T00:00:00Z', (ms) => {
      if (ms === t('2026-03-02T06:00:00Z')) return { drop: true };
      if (ms === t('2026-03-03T11:00:00Z')) return { smgwStatus: SYSTEMTIME_INVALID };
      if (ms === t('2026-03-04T22:00:00Z')) return { security: 'mode5' };
      return {};
    });
    assert.equal(broken.size, 3);
    const start = t(taf2Profile.validFrom);
    const end = nextPeriodEnd(taf2Profile, start);
    assert.equal(end, t('2026-03-31T22:00:00Z'));
    const r = taf2(taf2Profile, src, start, end, []);
    // By hand: 31 days minus the 4 hours of the DST day = 2972 quarter hours of 10 Wh.
    // Night T1: 29 normal days × 32 + special day 96 + DST day 28 (00:00-02:00, 03:00-06:00, 22:00-24:00) = 1052.
    // Day T2: 30 days × 64 = 1920. Each broken boundary takes 2 intervals (20 Wh) from its stage
    // into the error register: T1 10520 − 20, T2 19200 − 40, error 60.
    assert.deepEqual(registers(r.values), { [T1]: '10500', [T2]: '19160', [ERR]: '60', [E]: '29720' });
    assert.ok(
      r.values.every((v) => v.kind === 'derived' && v.targetTimeMs === end && v.scaler === 0 && v.unit === 'Wh'),
    );
    assert.deepEqual(
      r.notes.map((n) => n.event),
      ['TAF2_ERROR_REGISTER'],
    );
    assert.match(r.notes[0]!.message, /3 of 2972 intervals/);
  });

  it('registers run on from the previous period; a period ending in a gap is settled in the next', () => {
    // April: the reading at the period start (April 1st 00:00 local) and the next one are missing.
    const aprilStart = t('2026-03-31T22:00:00Z');
    const src = steadyMeter('2026-02-28T23:00:00Z', '2026-05-01T00:00:00Z', (ms) =>
      ms === aprilStart || ms === aprilStart - Q ? { drop: true } : {},
    );
    const start = t(taf2Profile.validFrom);
    const march = taf2(taf2Profile, src, start, aprilStart, []);
    // March loses its last two intervals (23:30-23:45, 23:45-24:00, night tariff).
    assert.deepEqual(registers(march.values), { [T1]: '10500', [T2]: '19200', [ERR]: '0', [E]: '29700' });
    const aprilEnd = nextPeriodEnd(taf2Profile, aprilStart);
    assert.equal(aprilEnd, t('2026-04-30T22:00:00Z'));
    const april = evaluatePeriod(taf2Profile, src, aprilStart, aprilEnd, march.values);
    // April: 30 days × (32 night + 64 day); its first interval (00:00-00:15) has no start reading:
    // it and the two March intervals (30 Wh) go to the error register.
    assert.deepEqual(registers(april.values), {
      [T1]: String(10500 + 30 * 320 - 10),
      [T2]: String(19200 + 30 * 640),
      [ERR]: '30',
      [E]: String(29700 + 30 * 960 + 20),
    });
    // The books close: total = last valid register reading − first (1000 at validFrom).
    const lastReading = 1000 + 10 * ((aprilEnd - start) / Q);
    assert.equal(Number(registers(april.values)[E]), lastReading - 1000);
  });

  it('no valid reading at validFrom: energy before the first valid reading is not assigned, and noted', () => {
    const src = steadyMeter('2026-03-01T05:00:00Z', '2026-04-01T00:00:00Z');
    const start = t(taf2Profile.validFrom);
    const r = taf2(taf2Profile, src, start, t('2026-03-31T22:00:00Z'), []);
    assert.ok(r.notes.some((n) => n.event === 'TAF2_NO_START_READING'));
    assert.equal(registers(r.values)[ERR], '0');
  });

  it('a register running backwards is not a valid boundary', () => {
    const src = new ArrayReadingSource();
    const p: EvaluationProfile = { ...taf2Profile, billingPeriod: { seconds: 3600 } };
    const s = t(p.validFrom);
    for (const [k, v] of [
      [0, 100],
      [1, 110],
      [2, 50],
      [3, 130],
      [4, 140],
    ] as const)
      src.add({ captureTimeMs: s + k * Q, value: v });
    const r = taf2(p, src, s, s + 4 * Q, []);
    // 100->110 to T1; 50 is refused; 110->130 spans the refused boundary (error); 130->140 to T1.
    assert.deepEqual(registers(r.values), { [T1]: '20', [T2]: '0', [ERR]: '20', [E]: '40' });
    assert.ok(r.notes.some((n) => n.event === 'TAF2_REGISTER_DECREASED'));
  });

  it('values beyond 2^53 stay exact; scalers are aligned to the previous registers', () => {
    const p: EvaluationProfile = { ...taf2Profile, billingPeriod: { seconds: 1800 } };
    const s = t(p.validFrom);
    const src = new ArrayReadingSource()
      .add({ captureTimeMs: s, value: '90071992547409930', scaler: -1 })
      .add({ captureTimeMs: s + Q, value: '90071992547409940', scaler: -1 })
      .add({ captureTimeMs: s + 2 * Q, value: '9007199254740995', scaler: 0 });
    const r = taf2(p, src, s, s + 2 * Q, [{ ...dv(T1, '90071992547409930'), targetTimeMs: s }]);
    // 9007199254740993.0 -> .4.0 -> 9007199254740995 (scaler 0): 2.0 Wh = 20 at scaler -1.
    assert.deepEqual(registers(r.values), { [T1]: '90071992547409950', [T2]: '0', [ERR]: '0', [E]: '20' });
    assert.ok(r.values.every((v) => v.scaler === -1));
  });
});

function dv(obis: string, value: string) {
  return {
    evaluationProfileId: 'tou',
    meterId: 'M1',
    obis,
    kind: 'derived' as const,
    value,
    scaler: -1,
    unit: 'Wh',
    captureTimeMs: 0,
    targetTimeMs: 0,
    smgwStatus: 0,
  };
}
