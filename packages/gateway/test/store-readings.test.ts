import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { GatewayStore, IncomingValues, NewReading } from '../src/store/types.js';
import { ENERGY, METER, POWER, reading, storeCode, telegram, withStore } from './fixtures/store-fixtures.js';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

describe('gateway store: accept and replay counters', () => {
  it('stores readings of a telegram with a counter and advances the counter', () =>
    withStore((s) => {
      assert.equal(s.meterCounter(METER), undefined);
      assert.deepEqual(s.accept([telegram(5, T0)]), ['stored']);
      assert.equal(s.meterCounter(METER), 5);
      assert.equal(s.countReadings(), 2);
      const rows = s.readingsAfter(METER, 0, 10);
      assert.equal(rows.length, 2);
      assert.deepEqual(
        rows.map(({ id: _id, ...r }) => r),
        telegram(5, T0).readings,
      );
      assert.ok((rows[0]?.id ?? 0) < (rows[1]?.id ?? 0));
    }));

  it('refuses a counter that is equal or lower as a replay and writes nothing of it', () =>
    withStore((s) => {
      s.accept([telegram(10, T0)]);
      assert.deepEqual(s.accept([telegram(10, T0 + 1), telegram(9, T0 + 2), telegram(0, T0 + 3)]), [
        'replay',
        'replay',
        'replay',
      ]);
      assert.equal(s.countReadings(), 2);
      assert.equal(s.meterCounter(METER), 10);
    }));

  it('applies items in order inside a batch (a later duplicate in the same batch is a replay)', () =>
    withStore((s) => {
      assert.deepEqual(s.accept([telegram(1, T0), telegram(3, T0 + 1), telegram(2, T0 + 2), telegram(3, T0 + 3)]), [
        'stored',
        'stored',
        'replay',
        'replay',
      ]);
      assert.equal(s.meterCounter(METER), 3);
      assert.equal(s.countReadings(), 4);
    }));

  it('keeps counters per meter', () =>
    withStore((s) => {
      assert.deepEqual(s.accept([telegram(7, T0, 'ELS-00000001'), telegram(7, T0, 'ELS-00000002')]), [
        'stored',
        'stored',
      ]);
      assert.equal(s.meterCounter('ELS-00000001'), 7);
      assert.equal(s.meterCounter('ELS-00000002'), 7);
      assert.equal(s.meterCounter(METER), undefined);
    }));

  it('stores items without a counter every time and leaves the counter alone', () =>
    withStore((s) => {
      assert.deepEqual(s.accept([telegram(null, T0), telegram(null, T0)]), ['stored', 'stored']);
      assert.equal(s.meterCounter(METER), undefined);
      assert.equal(s.countReadings(), 4);
    }));

  it('rolls the whole batch back when an item mid-batch is bad', () =>
    withStore((s) => {
      s.accept([telegram(1, T0)]);
      const bad = { meterId: METER, counter: 5, readings: [reading({ value: '12.5' })] };
      assert.throws(
        () => s.accept([telegram(2, T0 + 1), telegram(null, T0 + 2), bad, telegram(6, T0 + 3)]),
        storeCode('SMGW_STORE_BAD_ARGUMENT'),
      );
      assert.equal(s.meterCounter(METER), 1);
      assert.equal(s.countReadings(), 2);
      // The store is usable afterwards and counter 2 is still new.
      assert.deepEqual(s.accept([telegram(2, T0 + 1)]), ['stored']);
    }));

  it('rolls back the whole batch when an item throws while being written (a getter throwing at bind time)', () =>
    withStore((s) => {
      let reads = 0;
      const exploding = {
        ...reading(),
        get unit(): string {
          reads++;
          // Passes the check (first read), throws when the row is bound (second read).
          if (reads > 1) throw new Error('boom');
          return 'Wh';
        },
      } as NewReading;
      assert.throws(
        () => s.accept([telegram(1, T0), { meterId: METER, counter: 2, readings: [exploding] }]),
        storeCode('SMGW_STORE_INTERNAL'),
      );
      assert.equal(s.countReadings(), 0);
      assert.equal(s.meterCounter(METER), undefined);
    }));

  for (const [name, item] of [
    ['a float counter', { meterId: METER, counter: 1.5, readings: [] }],
    ['a negative counter', { meterId: METER, counter: -1, readings: [] }],
    ['a bad meter id', { meterId: '', counter: 1, readings: [] }],
    ['a reading of another meter', { meterId: METER, counter: 1, readings: [reading({ meterId: 'ELS-00000009' })] }],
    ['a bad OBIS', { meterId: METER, counter: 1, readings: [reading({ obis: '0100010800FF' })] }],
    ['a float value', { meterId: METER, counter: 1, readings: [reading({ value: '1e3' })] }],
    ['a numeric value', { meterId: METER, counter: 1, readings: [reading({ value: 5 as unknown as string })] }],
    ['an out-of-range scaler', { meterId: METER, counter: 1, readings: [reading({ scaler: 200 })] }],
    ['a bad security', { meterId: METER, counter: 1, readings: [reading({ security: 'none' as 'tls' })] }],
    ['a NaN capture time', { meterId: METER, counter: 1, readings: [reading({ captureTimeMs: Number.NaN })] }],
    ['a negative status', { meterId: METER, counter: 1, readings: [reading({ smgwStatus: -1 })] }],
    ['no readings array', { meterId: METER, counter: 1, readings: null }],
  ] as const) {
    it(`refuses ${name} with SMGW_STORE_BAD_ARGUMENT`, () =>
      withStore((s) => {
        assert.throws(() => s.accept([item as unknown as IncomingValues]), storeCode('SMGW_STORE_BAD_ARGUMENT'));
        assert.equal(s.countReadings(), 0);
        assert.equal(s.meterCounter(METER), undefined);
      }));
  }

  it('refuses a batch that is not an array', () =>
    withStore((s) => {
      assert.throws(() => s.accept('x' as unknown as IncomingValues[]), storeCode('SMGW_STORE_BAD_ARGUMENT'));
    }));

  it('keeps values beyond 2^53 exact', () =>
    withStore((s) => {
      const big = '-123456789012345678901234567890';
      s.accept([{ meterId: METER, counter: null, readings: [reading({ value: big, scaler: -3 })] }]);
      assert.equal(s.readingsAfter(METER, 0, 1)[0]?.value, big);
      assert.equal(s.readingsAfter(METER, 0, 1)[0]?.scaler, -3);
    }));
});

describe('gateway store: reading queries', () => {
  const seed = (s: GatewayStore): void => {
    // Energy at T0, T0+15 min, T0+30 min; power at T0+15 min; another meter at T0+15 min.
    s.accept([
      { meterId: METER, counter: null, readings: [reading({ value: '100', captureTimeMs: T0 })] },
      { meterId: METER, counter: null, readings: [reading({ value: '200', captureTimeMs: T0 + 900_000 })] },
      { meterId: METER, counter: null, readings: [reading({ value: '300', captureTimeMs: T0 + 1_800_000 })] },
      { meterId: METER, counter: null, readings: [reading({ obis: POWER, value: '7', captureTimeMs: T0 + 900_000 })] },
      {
        meterId: 'ELS-00000002',
        counter: null,
        readings: [reading({ meterId: 'ELS-00000002', value: '999', captureTimeMs: T0 + 900_000 })],
      },
    ]);
  };

  it('lastAtOrBefore finds the newest value at or before a time, per channel', () =>
    withStore((s) => {
      seed(s);
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 + 900_000)?.value, '200');
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 + 899_999)?.value, '100');
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 - 1), undefined);
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 + 10_000_000)?.value, '300');
      assert.equal(s.lastAtOrBefore(METER, POWER, T0 + 10_000_000)?.value, '7');
      assert.equal(s.lastAtOrBefore('ELS-00000002', ENERGY, T0 + 10_000_000)?.value, '999');
    }));

  it('lastAtOrBefore honours notBeforeMs (exclusive)', () =>
    withStore((s) => {
      seed(s);
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 + 800_000, T0 - 1)?.value, '100');
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0 + 800_000, T0), undefined);
    }));

  it('lastAtOrBefore prefers the later arrival on equal capture times', () =>
    withStore((s) => {
      s.accept([
        { meterId: METER, counter: null, readings: [reading({ value: '1', captureTimeMs: T0 })] },
        { meterId: METER, counter: null, readings: [reading({ value: '2', captureTimeMs: T0 })] },
      ]);
      assert.equal(s.lastAtOrBefore(METER, ENERGY, T0)?.value, '2');
    }));

  it('between returns (from, to] ascending, limited', () =>
    withStore((s) => {
      seed(s);
      const values = (from: number, to: number, limit: number): string[] =>
        s.between(METER, ENERGY, from, to, limit).map((r) => r.value);
      assert.deepEqual(values(T0 - 1, T0 + 1_800_000, 10), ['100', '200', '300']);
      assert.deepEqual(values(T0, T0 + 1_800_000, 10), ['200', '300']);
      assert.deepEqual(values(T0 - 1, T0 + 1_799_999, 10), ['100', '200']);
      assert.deepEqual(values(T0 - 1, T0 + 1_800_000, 2), ['100', '200']);
      assert.deepEqual(values(T0 - 1, T0 + 1_800_000, 0), []);
    }));

  it('readingsAfter pages through one meter by id', () =>
    withStore((s) => {
      seed(s);
      const first = s.readingsAfter(METER, 0, 2);
      assert.deepEqual(
        first.map((r) => r.value),
        ['100', '200'],
      );
      const rest = s.readingsAfter(METER, first[1]?.id ?? 0, 10);
      assert.deepEqual(
        rest.map((r) => r.value),
        ['300', '7'],
      );
      assert.equal(s.countReadings(), 5);
    }));

  it('refuses bad query arguments with SMGW_STORE_BAD_ARGUMENT', () =>
    withStore((s) => {
      assert.throws(() => s.between(METER, ENERGY, 0, 1, -1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.between(METER, ENERGY, 0, 1, 1e9), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.lastAtOrBefore(METER, 'zz', 0), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.readingsAfter(METER, Number.NaN, 1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.meterCounter('bad id!'), storeCode('SMGW_STORE_BAD_ARGUMENT'));
    }));
});

describe('gateway store: property', () => {
  const hex = (n: number): fc.Arbitrary<string> =>
    fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((a) => a.join(''));
  const newReading: fc.Arbitrary<NewReading> = fc
    .record({
      obis: hex(12),
      value: fc.oneof(
        fc.bigInt({ min: -(10n ** 30n) + 1n, max: 10n ** 30n - 1n }).map(String),
        fc.integer().map(String),
      ),
      scaler: fc.integer({ min: -128, max: 127 }),
      unit: fc.string({ maxLength: 32 }),
      captureTimeMs: fc.integer({ min: 0, max: 253_402_300_799_999 }),
      smgwStatus: fc.integer({ min: 0, max: 0xffff_ffff }),
      meterStatus: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
      security: fc.constantFrom('mode7' as const, 'mode5' as const, 'tls' as const),
    })
    .map(({ meterStatus, ...r }) => ({ meterId: METER, ...r, ...(meterStatus === undefined ? {} : { meterStatus }) }));

  it('arbitrary readings round-trip exactly through accept and readingsAfter', () => {
    fc.assert(
      fc.property(fc.array(fc.array(newReading, { maxLength: 5 }), { maxLength: 8 }), (telegrams) => {
        withStore((s) => {
          const outcomes = s.accept(telegrams.map((readings, i) => ({ meterId: METER, counter: i, readings })));
          assert.deepEqual(
            outcomes,
            telegrams.map(() => 'stored'),
          );
          const back = s.readingsAfter(METER, 0, 1000).map(({ id: _id, ...r }) => r);
          assert.deepEqual(back, telegrams.flat());
          for (const r of telegrams.flat()) {
            assert.ok(
              s.between(METER, r.obis, r.captureTimeMs - 1, r.captureTimeMs, 100).some((x) => x.value === r.value),
            );
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('accept never throws anything but StoreError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        withStore((s) => {
          try {
            s.accept(junk as IncomingValues[]);
          } catch (e) {
            assert.equal((e as Error).name, 'StoreError');
          }
          try {
            s.accept([junk as IncomingValues]);
          } catch (e) {
            assert.equal((e as Error).name, 'StoreError');
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
