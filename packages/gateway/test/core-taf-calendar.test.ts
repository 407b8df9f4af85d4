import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvaluationProfile } from '@opensmgw/protocol';
import {
  localDate,
  nextLocalDay,
  nextRasterPoint,
  previousRasterPoint,
  rasterPoints,
  startOfLocalDay,
  zonedTime,
} from '../src/core/taf/calendar.js';
import { nextPeriodEnd } from '../src/core/taf/periods.js';

const B = 'Europe/Berlin';
const t = (iso: string) => Date.parse(iso);

describe('TAF calendar (local time via Intl)', () => {
  it('local days: 24 h, 23 h on the spring DST day, 25 h on the autumn one (Berlin 2026)', () => {
    const normal = startOfLocalDay(t('2026-03-10T12:00:00Z'), B);
    assert.equal(normal, t('2026-03-09T23:00:00Z'));
    assert.equal(nextLocalDay(normal, B) - normal, 24 * 3_600_000);
    const spring = startOfLocalDay(t('2026-03-29T12:00:00Z'), B);
    assert.equal(spring, t('2026-03-28T23:00:00Z'));
    assert.equal(nextLocalDay(spring, B), t('2026-03-29T22:00:00Z'));
    const autumn = startOfLocalDay(t('2026-10-25T12:00:00Z'), B);
    assert.equal(autumn, t('2026-10-24T22:00:00Z'));
    assert.equal(nextLocalDay(autumn, B), t('2026-10-25T23:00:00Z'));
  });

  it('a 15-minute raster has 96 points a day, 92 on the spring day and 100 on the autumn day', () => {
    const count = (day: string) => {
      const s = startOfLocalDay(t(day), B);
      return rasterPoints(s, nextLocalDay(s, B), 900, B).length;
    };
    assert.equal(count('2026-03-10T12:00:00Z'), 96);
    assert.equal(count('2026-03-29T12:00:00Z'), 92);
    assert.equal(count('2026-10-25T12:00:00Z'), 100);
  });

  it('raster points step from local midnight; the day end is always a point', () => {
    assert.equal(nextRasterPoint(t('2026-03-10T10:07:00Z'), 900, B), t('2026-03-10T10:15:00Z'));
    assert.equal(nextRasterPoint(t('2026-03-10T10:15:00Z'), 900, B), t('2026-03-10T10:30:00Z'));
    assert.equal(previousRasterPoint(t('2026-03-10T10:15:00Z'), 900, B), t('2026-03-10T10:00:00Z'));
    // 7 h raster: 00:00, 07:00, 14:00, 21:00, then midnight (a 3 h interval).
    const day = startOfLocalDay(t('2026-03-10T12:00:00Z'), B);
    assert.deepEqual(
      rasterPoints(day, nextLocalDay(day, B), 25200, B).map((x) => new Date(x).toISOString()),
      ['2026-03-10T06:00:00.000Z', '2026-03-10T13:00:00.000Z', '2026-03-10T20:00:00.000Z', '2026-03-10T23:00:00.000Z'],
    );
  });

  it('wall times in the DST gap shift forward; repeated ones take the first occurrence', () => {
    assert.equal(zonedTime(2026, 3, 29, 2, 30, B), t('2026-03-29T01:30:00Z')); // 03:30 CEST
    assert.equal(zonedTime(2026, 10, 25, 2, 30, B), t('2026-10-25T00:30:00Z')); // first 02:30 (CEST)
    assert.equal(zonedTime(2026, 13, 1, 0, 0, B), t('2026-12-31T23:00:00Z')); // month overflow
    assert.equal(localDate(t('2026-03-28T23:30:00Z'), B), '2026-03-29');
  });

  const profile = (over: Partial<EvaluationProfile>): EvaluationProfile => ({
    id: 'p',
    taf: 1,
    meterId: 'M1',
    channels: ['0100010800ff'],
    recipients: ['emt-1'],
    registrationPeriodSeconds: 900,
    billingPeriod: { months: 1 },
    timeZone: B,
    validFrom: '2026-01-15T10:00:00.000Z',
    ...over,
  });

  it('monthly billing periods end at local midnight of the 1st, counted from validFrom', () => {
    const p = profile({});
    const e1 = nextPeriodEnd(p, t('2026-01-15T10:00:00Z'));
    assert.equal(e1, t('2026-01-31T23:00:00Z'));
    const e2 = nextPeriodEnd(p, e1);
    assert.equal(e2, t('2026-02-28T23:00:00Z'));
    assert.equal(nextPeriodEnd(p, e2), t('2026-03-31T22:00:00Z')); // April 1st, CEST
    const q = profile({ billingPeriod: { months: 3 } });
    assert.equal(nextPeriodEnd(q, t('2026-01-15T10:00:00Z')), t('2026-03-31T22:00:00Z'));
    assert.equal(nextPeriodEnd(q, t('2026-03-31T22:00:00Z')), t('2026-06-30T22:00:00Z'));
  });

  it('billing periods in seconds count from validFrom; TAF 6 ends at midnight; TAF 7 on the raster', () => {
    const p = profile({ billingPeriod: { seconds: 60 } });
    assert.equal(nextPeriodEnd(p, t('2026-01-15T10:00:00Z')), t('2026-01-15T10:01:00Z'));
    assert.equal(nextPeriodEnd(p, t('2026-01-15T10:01:30Z')), t('2026-01-15T10:02:00Z'));
    assert.equal(nextPeriodEnd(p, t('2025-01-01T00:00:00Z')), t('2026-01-15T10:01:00Z'));
    const d = profile({ taf: 6 });
    assert.equal(nextPeriodEnd(d, t('2026-03-28T23:00:00Z')), t('2026-03-29T22:00:00Z'));
    const s = profile({ taf: 7, registrationPeriodSeconds: 900 });
    assert.equal(nextPeriodEnd(s, t('2026-01-15T10:00:00Z')), t('2026-01-15T10:15:00Z'));
  });
});
