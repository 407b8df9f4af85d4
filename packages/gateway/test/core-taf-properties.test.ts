/**
 * Properties of the TAF arithmetic and the calendar that hand-picked cases cannot cover:
 * TAF 2 keeps its books closed whatever readings are missing, invalid or unauthenticated, the
 * raster tiles every day of any time zone, and a time sample from the wire either syncs or is
 * refused with a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import type { EvaluationProfile } from '@opensmgw/protocol';
import fc from 'fast-check';
import { GatewayTime, SYSTEMTIME_INVALID } from '../src/core/gateway-time.js';
import { nextLocalDay, rasterPoints, startOfLocalDay } from '../src/core/taf/calendar.js';
import { nextPeriodEnd } from '../src/core/taf/periods.js';
import { taf2 } from '../src/core/taf/taf2.js';
import type { NewDerivedValue } from '../src/store/types.js';
import { ArrayReadingSource } from './fixtures/core-fakes.js';

const Q = 900_000;
const E = '0100010800ff';
const ERR = '010001083fff';

const profile: EvaluationProfile = {
  id: 'tou',
  taf: 2,
  meterId: 'M1',
  channels: [E],
  recipients: ['emt-1'],
  registrationPeriodSeconds: 900,
  billingPeriod: { seconds: 4 * 3600 },
  tariff: {
    stages: [
      { tariffNumber: 1, obis: '0100010801ff' },
      { tariffNumber: 2, obis: '0100010802ff' },
      { tariffNumber: 3, obis: '0100010803ff' },
    ],
    errorRegisterObis: ERR,
    dayProfiles: [
      {
        dayId: 1,
        switches: [
          { time: '00:00', tariffNumber: 1 },
          { time: '06:15', tariffNumber: 2 },
          { time: '17:00', tariffNumber: 3 },
          { time: '21:45', tariffNumber: 1 },
        ],
      },
    ],
    weekdays: [1, 1, 1, 1, 1, 1, 1],
    specialDays: [],
  },
  timeZone: 'Europe/Berlin',
  validFrom: '2026-03-28T23:00:00.000Z', // the spring DST day, local midnight
};

type Fate = 'ok' | 'drop' | 'invalid-time' | 'mode5';

describe('TAF properties', () => {
  it('TAF 2: stages + error = total, registers never fall, total = last valid reading − first', () => {
    const from = Date.parse(profile.validFrom);
    const day = 23 * 4; // quarter hours of the DST day
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: day, maxLength: day }),
        fc.array(fc.constantFrom<Fate>('ok', 'ok', 'ok', 'drop', 'invalid-time', 'mode5'), {
          minLength: day,
          maxLength: day,
        }),
        (use, fates) => {
          const src = new ArrayReadingSource();
          src.add({ captureTimeMs: from, value: 5000 }); // a valid start reading
          let register = 5000;
          let lastValid = 5000;
          for (let k = 1; k <= day; k++) {
            register += use[k - 1]!;
            const fate = fates[k - 1]!;
            if (fate === 'drop') continue;
            src.add({
              captureTimeMs: from + k * Q - 1000 * (k % 7),
              value: register,
              ...(fate === 'invalid-time' ? { smgwStatus: SYSTEMTIME_INVALID } : {}),
              ...(fate === 'mode5' ? { security: 'mode5' as const } : {}),
            });
            if (fate === 'ok') lastValid = register;
          }
          let previous: readonly NewDerivedValue[] = [];
          let start = from;
          const end = from + day * Q;
          while (start < end) {
            const stop = nextPeriodEnd(profile, start);
            const r = taf2(profile, src, start, stop, previous);
            const byObis = new Map(r.values.map((v) => [v.obis, BigInt(v.value)]));
            const total = byObis.get(E)!;
            let parts = 0n;
            for (const [obis, v] of byObis) if (obis !== E) parts += v;
            assert.equal(parts, total);
            for (const p of previous) assert.ok(byObis.get(p.obis)! >= BigInt(p.value));
            previous = r.values;
            start = stop;
          }
          // Six 4-hour periods cover the 23-hour day; the last one runs past the readings.
          assert.equal(start, end + 3600_000);
          const total = BigInt(previous.find((v) => v.obis === E)!.value);
          assert.equal(total, BigInt(lastValid - 5000));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the registration raster tiles every local day (any zone, any divisor of a day)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'UTC',
      'America/Sao_Paulo',
    ];
    const periods = [900, 1800, 3600, 7200, 10800, 86400];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...periods),
        fc.integer({ min: Date.parse('2015-01-01T00:00:00Z'), max: Date.parse('2035-01-01T00:00:00Z') }),
        (zone, period, at) => {
          const s = startOfLocalDay(at, zone);
          const e = nextLocalDay(s, zone);
          assert.ok(s <= at && at < e, 'the day contains the instant');
          const pts = rasterPoints(s, e, period, zone);
          assert.equal(pts.at(-1), e);
          let prev = s;
          for (const p of pts) {
            assert.ok(p > prev && p - prev <= period * 1000);
            prev = p;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('GatewayTime.sync: any sample syncs or is refused with SMGW_TIME_BAD_SAMPLE', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.double(), (g, s, r) => {
        const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
        const time = new GatewayTime({
          clock,
          events: { record: () => undefined },
          minRegistrationPeriodSeconds: () => 900,
        });
        try {
          time.sync(g, s, r);
          assert.ok(Number.isFinite(time.now()));
        } catch (e) {
          assert.ok(isSmgwError(e) && e.code === 'SMGW_TIME_BAD_SAMPLE', String(e));
          assert.equal(time.valid, false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
