import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConsumptionCurve, isMedium, MEDIA, type Medium } from '../src/consumption.js';
import { DevicesError } from '../src/errors.js';
import { hashUnit, SeededRandom } from '../src/seeded-random.js';

const START = Date.UTC(2026, 0, 15, 0, 0, 0);
const HOUR = 3_600_000;
const DAY_MS = 24 * HOUR;

function series(medium: Medium, seed: number, times: readonly number[]) {
  const c = new ConsumptionCurve({ medium, seed });
  return times.map((t) => c.read(t));
}

describe('ConsumptionCurve', () => {
  it('every register of every medium grows monotonically, as integers, and stays equal for the same seed', () => {
    const times = Array.from({ length: 200 }, (_, i) => START + i * 7 * 60_000);
    for (const medium of MEDIA) {
      const a = series(medium, 42, times);
      const b = series(medium, 42, times);
      assert.deepEqual(a, b, `${medium}: same seed, same values`);
      for (let i = 1; i < a.length; i++) {
        const prev = a[i - 1]?.values ?? [];
        const cur = a[i]?.values ?? [];
        cur.forEach((v, k) => {
          assert.ok(Number.isInteger(v.value), `${medium} ${v.quantity} is an integer`);
          if (v.quantity !== 'power')
            assert.ok(v.value >= (prev[k]?.value ?? 0), `${medium} ${v.quantity} never falls`);
        });
      }
      const first = a[0]?.values[0]?.value ?? 0;
      const last = a.at(-1)?.values[0]?.value ?? 0;
      assert.ok(last > first, `${medium}: consumption over 23 hours (${first} -> ${last})`);
      assert.notDeepEqual(series(medium, 43, times), a, `${medium}: another seed, other values`);
    }
  });

  it('has the registers, units and scalers of each medium', () => {
    const shape = (m: Medium) => series(m, 1, [START])[0]?.values.map((v) => `${v.quantity} ${v.unit} ${v.scaler}`);
    assert.deepEqual(shape('electricity'), ['energy Wh 0', 'power W 0']);
    assert.deepEqual(shape('gas'), ['volume m3 -3']);
    assert.deepEqual(shape('water'), ['volume m3 -3']);
    assert.deepEqual(shape('heat'), ['energy Wh 3', 'volume m3 -3']);
    const sml = new ConsumptionCurve({ medium: 'electricity', seed: 1, energyScaler: -1 });
    assert.equal(sml.read(START).values[0]?.scaler, -1);
  });

  it('electricity follows a household profile: evening peak above the night base load, plausible daily energy', () => {
    // average over 20 households to see the profile through the noise
    let night = 0;
    let evening = 0;
    let daily = 0;
    for (let seed = 0; seed < 20; seed++) {
      const c = new ConsumptionCurve({ medium: 'electricity', seed });
      const e0 = c.read(START).values[0]?.value ?? 0;
      for (let m = 0; m < 24 * 60; m += 5) {
        const t = START + m * 60_000;
        const p = c.read(t).values[1]?.value ?? 0;
        const localHour = ((t + HOUR) % (24 * HOUR)) / HOUR;
        if (localHour >= 2 && localHour < 4) night += p;
        if (localHour >= 19 && localHour < 21) evening += p;
      }
      daily += (c.read(START + 24 * HOUR).values[0]?.value ?? 0) - e0;
    }
    assert.ok(evening > 2.5 * night, `evening ${evening} vs night ${night}`);
    const kWhPerDay = daily / 20 / 1000;
    assert.ok(kWhPerDay > 4 && kWhPerDay < 20, `${kWhPerDay.toFixed(1)} kWh per day`);
  });

  it('water comes in bursts: many minutes without flow, some with', () => {
    const c = new ConsumptionCurve({ medium: 'water', seed: 7 });
    let previous = c.read(START).values[0]?.value ?? 0;
    let idle = 0;
    let busy = 0;
    for (let m = 5; m <= 24 * 60; m += 5) {
      const v = c.read(START + m * 60_000).values[0]?.value ?? 0;
      if (v === previous) idle++;
      else busy++;
      previous = v;
    }
    assert.ok(idle > busy && busy > 3, `idle ${idle}, busy ${busy}`);
  });

  it('gas and heat: more in January than in July', () => {
    for (const medium of ['gas', 'heat'] as const) {
      const use = (start: number) => {
        const c = new ConsumptionCurve({ medium, seed: 3 });
        const a = c.read(start).values[0]?.value ?? 0;
        return (c.read(start + 24 * HOUR).values[0]?.value ?? 0) - a;
      };
      assert.ok(use(Date.UTC(2026, 0, 15)) > 3 * use(Date.UTC(2026, 6, 15)), medium);
    }
  });

  it('a register is a function of seed and time: a restarted simulator goes on where the last one stopped', () => {
    for (const medium of MEDIA) {
      const before = new ConsumptionCurve({ medium, seed: 8 });
      const times = [START, START + 7 * 60_000, START + 26 * HOUR, START + 26 * HOUR + 1];
      const a = times.map((t) => before.read(t));
      const restarted = new ConsumptionCurve({ medium, seed: 8 });
      assert.deepEqual(restarted.read(times[3] as number), a[3]);
      // and across midnight the registers continue without a step back
      let prev = new ConsumptionCurve({ medium, seed: 8 }).read(START + DAY_MS - 1).values[0]?.value ?? 0;
      for (const t of [START + DAY_MS, START + DAY_MS + 1, START + DAY_MS + 300_000]) {
        const v = new ConsumptionCurve({ medium, seed: 8 }).read(t).values[0]?.value ?? 0;
        assert.ok(v >= prev, `${medium} at ${new Date(t).toISOString()}`);
        prev = v;
      }
    }
  });

  it('a clock set back reads unchanged registers; a long gap is integrated', () => {
    const c = new ConsumptionCurve({ medium: 'gas', seed: 5 });
    const a = c.read(START + HOUR).values[0]?.value ?? 0;
    assert.equal(c.read(START).values[0]?.value, a);
    const later = c.read(START + 40 * 24 * HOUR).values[0]?.value ?? 0;
    assert.ok(later > a + 100_000, `40 days of heating: ${later - a} l`);
  });

  it('refuses bad arguments with DevicesError', () => {
    const bad = (f: () => unknown) =>
      assert.throws(f, (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_ARGUMENT');
    bad(() => new ConsumptionCurve({ medium: 'steam' as Medium, seed: 1 }));
    bad(() => new ConsumptionCurve({ medium: 'gas', seed: -1 }));
    bad(() => new ConsumptionCurve({ medium: 'gas', seed: 1.5 }));
    bad(() => new ConsumptionCurve({ medium: 'gas', seed: 1 }).read(Number.NaN));
    bad(() => new ConsumptionCurve({ medium: 'electricity', seed: 1, energyScaler: 9 }));
    assert.equal(isMedium('heat'), true);
    assert.equal(isMedium('__proto__'), false);
  });

  it('property: registers never fall for any seed and any increasing reading times', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MEDIA),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.integer({ min: 0, max: 6 * HOUR }), { minLength: 1, maxLength: 8 }),
        (medium, seed, gaps) => {
          const c = new ConsumptionCurve({ medium, seed });
          let t = START;
          let prev = c.read(t).values.filter((v) => v.quantity !== 'power');
          for (const g of gaps) {
            t += g;
            const cur = c.read(t).values.filter((v) => v.quantity !== 'power');
            cur.forEach((v, i) => {
              assert.ok(v.value >= (prev[i]?.value ?? 0));
            });
            prev = cur;
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('seeded randomness', () => {
  it('SeededRandom and hashUnit are deterministic and spread over [0, 1)', () => {
    const a = new SeededRandom(9);
    const b = new SeededRandom(9);
    const xs = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(
      xs,
      Array.from({ length: 1000 }, () => b.next()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05);
    assert.equal(hashUnit(1, 2, 3), hashUnit(1, 2, 3));
    assert.notEqual(hashUnit(1, 2, 3), hashUnit(1, 2, 4));
    assert.notEqual(hashUnit(1, 2, 3), hashUnit(2, 2, 3));
  });
});
