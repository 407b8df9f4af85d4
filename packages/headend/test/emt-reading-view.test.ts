/** reading-view.ts and reading-query.ts: the operator's view of a reading and the query parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EmtError } from '../src/emt/emt-errors.js';
import { parseReadingQuery } from '../src/emt/reading-query.js';
import { decimalText, decimalValue, obisQuantity, READING_VIEW_FIELDS, readingView } from '../src/emt/reading-view.js';

/** value × 10^scaler as an exact rational n / 10^k, reduced, for comparison. */
function exact(value: string, scaler: number): { n: bigint; k: number } {
  let n = BigInt(value) * (scaler > 0 ? 10n ** BigInt(scaler) : 1n);
  let k = scaler < 0 ? -scaler : 0;
  while (k > 0 && n % 10n === 0n) {
    n /= 10n;
    k -= 1;
  }
  return { n, k };
}

describe('reading view', () => {
  it('moves the decimal point exactly', () => {
    assert.equal(decimalText('12345', -2), '123.45');
    assert.equal(decimalText('7', 3), '7000');
    assert.equal(decimalText('-5', -3), '-0.005');
    assert.equal(decimalText('0', -5), '0');
    assert.equal(decimalText('-0', 2), '0');
    assert.equal(decimalText('1200', -2), '12');
    assert.equal(decimalText('00120', -1), '12');
    assert.equal(decimalValue('1234567', -1), 123456.7);
    assert.equal(JSON.stringify(decimalValue('1', -1) + 0), '0.1');
    assert.equal(JSON.stringify(decimalValue('12345678901', -3)), '12345678.901');
  });

  it('property: decimalText is the exact value and decimalValue its nearest double', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n) + 1n, max: 10n ** 30n - 1n }),
        fc.integer({ min: -20, max: 20 }),
        (v, s) => {
          const text = decimalText(v.toString(), s);
          assert.match(text, /^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/);
          const [whole = '', fraction = ''] = text.replace('-', '').split('.');
          const got = { n: BigInt((text.startsWith('-') ? '-' : '') + whole + fraction), k: fraction.length };
          assert.deepEqual(got, exact(v.toString(), s));
          assert.equal(decimalValue(v.toString(), s), Number(text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the quantities of the OBIS table, and null for anything else', () => {
    assert.equal(obisQuantity('0100010800ff'), 'energy import');
    assert.equal(obisQuantity('0100010801ff'), 'energy import');
    assert.equal(obisQuantity('0100100700ff'), 'power');
    assert.equal(obisQuantity('0700030000ff'), 'gas volume');
    assert.equal(obisQuantity('0800010000ff'), 'water volume');
    assert.equal(obisQuantity('0600010000ff'), 'heat energy');
    assert.equal(obisQuantity('0600020000ff'), 'heat volume');
    assert.equal(obisQuantity('0100020800ff'), null);
    assert.equal(obisQuantity('nothex'), null);
  });

  it('has exactly the stable fields', () => {
    const v = readingView({
      gatewayId: 'EOSM0100000001',
      evaluationProfileId: 'ep',
      meterId: 'ELS-1',
      obis: '0700030000ff',
      kind: 'daily',
      value: '1234',
      scaler: -3,
      unit: 'm3',
      captureTimeMs: Date.parse('2026-11-28T00:00:00Z'),
      targetTimeMs: Date.parse('2026-11-28T00:00:00Z'),
      smgwStatus: '00000000',
      messageId: 'm',
      receivedMs: 0,
    });
    assert.deepEqual(Object.keys(v), [...READING_VIEW_FIELDS]);
    assert.deepEqual(v, {
      gatewayId: 'EOSM0100000001',
      meterId: 'ELS-1',
      obis: '7-0:3.0.0*255',
      obisHex: '0700030000ff',
      quantity: 'gas volume',
      value: 1.234,
      unit: 'm3',
      captureTime: '2026-11-28T00:00:00.000Z',
      targetTime: '2026-11-28T00:00:00.000Z',
      kind: 'daily',
      evaluationProfileId: 'ep',
      messageId: 'm',
    });
  });
});

describe('reading query', () => {
  it('reads every parameter', () => {
    assert.deepEqual(
      parseReadingQuery(
        new URLSearchParams(
          'gateway=EOSM0100000001&meter=ELS-12345678&from=2026-11-28&to=2026-11-28T10:00:00%2B01:00&limit=5',
        ),
      ),
      {
        gatewayId: 'EOSM0100000001',
        meterId: 'ELS-12345678',
        fromMs: Date.parse('2026-11-28T00:00:00Z'),
        toMs: Date.parse('2026-11-28T09:00:00Z'),
        limit: 5,
      },
    );
    assert.deepEqual(parseReadingQuery(new URLSearchParams('')), { limit: 1000 });
  });

  it('property: any query text gives a filter or an EmtError SMGW_EMT_BAD_REQUEST, nothing else', () => {
    const key = fc.constantFrom('gateway', 'meter', 'from', 'to', 'limit', 'x', '');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string({ maxLength: 40 })), { maxLength: 6 }), (pairs) => {
        const q = new URLSearchParams(pairs);
        try {
          const f = parseReadingQuery(q);
          assert.ok(Number.isSafeInteger(f.limit) && f.limit >= 1);
          if (f.fromMs !== undefined) assert.ok(Number.isFinite(f.fromMs));
        } catch (e) {
          assert.ok(e instanceof EmtError, String(e));
          assert.equal(e.code, 'SMGW_EMT_BAD_REQUEST');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
