import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import type { Medium } from '@opensmgw/protocol';
import type { RecordInput } from '@opensmgw/wmbus';
import fc from 'fast-check';
import { mapRecord, OBIS_RULES } from '../src/lmn/obis-map.js';
import { WmbusIngest } from '../src/lmn/wmbus-ingest.js';
import {
  FakeEventLog,
  FakeStore,
  OTHER_KEY_HEX,
  telegram,
  telegramFrames,
  wmbusProfile,
} from './fixtures/lmn-fakes.js';

const T0 = Date.parse('2026-11-27T12:00:00Z');

function setup(profiles = [wmbusProfile('12345678', 'electricity', ['0100010800ff', '0100100700ff'])]) {
  const store = new FakeStore();
  const events = new FakeEventLog();
  const clock = new FakeClock(T0);
  const ingest = new WmbusIngest({ store: store.asStore(), events, clock, statusWord: () => 0x0100 });
  ingest.reloadProfiles(profiles);
  return { store, events, clock, ingest };
}

const at = (bytes: Uint8Array, receivedAtMs = T0) => ({ bytes, receivedAtMs });

interface Case {
  readonly medium: Medium;
  readonly records: readonly RecordInput[];
  readonly expected: readonly { obis: string; value: string; scaler: number; unit: string }[];
}

// One telegram per medium: what is encoded must come back as integer + decimal scaler.
const CASES: readonly Case[] = [
  {
    medium: 'electricity',
    records: [
      { dataField: 0x4, vif: '04', value: 12345670 }, // 10 Wh units: raw 1234567
      { dataField: 0x2, vif: '2B', value: 1500 }, // W
      { dataField: 0x4, vif: '04', storage: 1, value: 11111110 }, // a stored value: not a register
      { dataField: 0x4, vif: '04', tariff: 1, value: 22222220 }, // tariff 1: not A+ total
    ],
    expected: [
      { obis: '0100010800ff', value: '1234567', scaler: 1, unit: 'Wh' },
      { obis: '0100100700ff', value: '1500', scaler: 0, unit: 'W' },
    ],
  },
  {
    medium: 'gas',
    records: [{ dataField: 0xc, vif: '13', value: 123.456 }], // litres, BCD 8
    expected: [{ obis: '0700030000ff', value: '123456', scaler: -3, unit: 'm3' }],
  },
  {
    medium: 'water',
    records: [
      { dataField: 0x4, vif: '13', value: 45.678 },
      { dataField: 0x4, vif: '13', function: 'maximum', value: 99.999 },
    ],
    expected: [{ obis: '0800010000ff', value: '45678', scaler: -3, unit: 'm3' }],
  },
  {
    medium: 'heat',
    records: [
      { dataField: 0x4, vif: '06', value: 5_000_000 }, // kWh: raw 5000
      { dataField: 0x4, vif: '14', value: 1234.56 }, // 0.01 m3
      { dataField: 0x2, vif: '5B', value: 70 }, // flow temperature: no channel
    ],
    expected: [
      { obis: '0600010000ff', value: '5000', scaler: 3, unit: 'Wh' },
      { obis: '0600020000ff', value: '123456', scaler: -2, unit: 'm3' },
    ],
  },
];

describe('lmn/obis-map', () => {
  it('the table is the one of docs/wire-protocols.md', () => {
    assert.deepEqual(
      OBIS_RULES.map((r) => `${r.medium}/${r.quantity}/${r.obis}`),
      [
        'electricity/energy/0100010800ff',
        'electricity/power/0100100700ff',
        'gas/volume/0700030000ff',
        'water/volume/0800010000ff',
        'heat/energy/0600010000ff',
        'heat/volume/0600020000ff',
      ],
    );
  });

  it('takes only storage 0, tariff 0, subunit 0, instantaneous; exact integers only', () => {
    const base = {
      dif: '04',
      vif: '04',
      storage: 0,
      tariff: 0,
      subunit: 0,
      function: 'instantaneous' as const,
      quantity: 'energy',
      unit: 'Wh',
      value: 12345670,
    };
    assert.deepEqual(mapRecord('electricity', base), { obis: '0100010800ff', value: '1234567', scaler: 1, unit: 'Wh' });
    assert.equal(mapRecord('electricity', { ...base, storage: 1 }), undefined);
    assert.equal(mapRecord('electricity', { ...base, tariff: 2 }), undefined);
    assert.equal(mapRecord('electricity', { ...base, subunit: 1 }), undefined);
    assert.equal(mapRecord('electricity', { ...base, function: 'maximum' }), undefined);
    assert.equal(mapRecord('electricity', { ...base, value: null }), undefined);
    assert.equal(mapRecord('electricity', { ...base, value: 12345675 }), undefined, 'not a multiple of 10 Wh');
    assert.equal(mapRecord('gas', base), undefined, 'gas meters have no energy register in the table');
    assert.equal(mapRecord('electricity', { ...base, quantity: 'energy (per hour)' }), undefined);
    // J energy only for heat
    const joule = { ...base, vif: '0E', unit: 'J', value: 7_000_000 };
    assert.deepEqual(mapRecord('heat', joule), { obis: '0600010000ff', value: '7', scaler: 6, unit: 'J' });
    assert.equal(mapRecord('electricity', joule), undefined);
  });

  it('property: for every raw register value the stored integer and scaler give back the raw value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 7 }), (raw, n) => {
        const vif = n.toString(16).padStart(2, '0'); // 00..07: Wh × 10^(n-3)
        const value = n >= 3 ? raw * 10 ** (n - 3) : raw / 10 ** (3 - n);
        const m = mapRecord('electricity', {
          dif: '0C',
          vif,
          storage: 0,
          tariff: 0,
          subunit: 0,
          function: 'instantaneous',
          quantity: 'energy',
          unit: 'Wh',
          value,
        });
        assert.deepEqual(m, { obis: '0100010800ff', value: String(raw), scaler: n - 3, unit: 'Wh' });
      }),
      { numRuns: 500 },
    );
  });
});

describe('lmn/wmbus-ingest', () => {
  for (const c of CASES) {
    for (const ci of [0x72, 0x7a] as const) {
      it(`${c.medium}: a mode-7 telegram (CI ${ci.toString(16)}, AFL CMAC-8) is stored as encoded`, () => {
        const channels = c.expected.map((e) => e.obis);
        const { store, events, ingest } = setup([wmbusProfile('12345678', c.medium, channels)]);
        const frame = telegram({ serial: '12345678', medium: c.medium, records: c.records, counter: 41, ci });
        assert.deepEqual(ingest.handleBatch([at(frame, T0 + 5)]), ['stored']);
        assert.equal(store.acceptCalls, 1);
        assert.deepEqual(
          store.readings.map((r) => ({ obis: r.obis, value: r.value, scaler: r.scaler, unit: r.unit })),
          c.expected,
        );
        for (const r of store.readings) {
          assert.equal(r.meterId, 'ELS-12345678');
          assert.equal(r.captureTimeMs, T0 + 5);
          assert.equal(r.security, 'mode7');
          assert.equal(r.smgwStatus, 0x0100);
        }
        assert.equal(store.meterCounter('ELS-12345678'), 41);
        assert.deepEqual(events.events, []);
      });
    }
  }

  it("keeps only the profile's channels", () => {
    const { store, ingest } = setup([wmbusProfile('12345678', 'electricity', ['0100100700ff'])]);
    const frame = telegram({ serial: '12345678', medium: 'electricity', records: CASES[0]?.records ?? [], counter: 1 });
    assert.deepEqual(ingest.handleBatch([at(frame)]), ['stored']);
    assert.deepEqual(
      store.readings.map((r) => r.obis),
      ['0100100700ff'],
    );
  });

  it('a wrong key is SMGW_LMN_BAD_MAC and nothing is stored', () => {
    const { store, events, ingest } = setup();
    const frame = telegram({
      serial: '12345678',
      medium: 'electricity',
      records: CASES[0]?.records ?? [],
      counter: 7,
      keyHex: OTHER_KEY_HEX,
    });
    assert.deepEqual(ingest.handleBatch([at(frame)]), ['SMGW_LMN_BAD_MAC']);
    assert.equal(store.readings.length, 0);
    assert.equal(store.meterCounter('ELS-12345678'), undefined);
    const [e] = events.named('LMN_BAD_MAC');
    assert.equal(e?.subject, 'ELS-12345678');
    assert.ok(!JSON.stringify(events.events).includes('000102030405'), 'no key in the log');
  });

  it('a replayed frame is SMGW_LMN_REPLAY with an LMN_REPLAY event; a newer counter is stored again', () => {
    const { store, events, ingest } = setup();
    const records = CASES[0]?.records ?? [];
    const f10 = telegram({ serial: '12345678', medium: 'electricity', records, counter: 10 });
    const f9 = telegram({ serial: '12345678', medium: 'electricity', records, counter: 9 });
    const f11 = telegram({ serial: '12345678', medium: 'electricity', records, counter: 11 });
    assert.deepEqual(ingest.handleBatch([at(f10)]), ['stored']);
    const n = store.readings.length;
    assert.deepEqual(ingest.handleBatch([at(f10), at(f9), at(f11), at(f11)]), [
      'SMGW_LMN_REPLAY',
      'SMGW_LMN_REPLAY',
      'stored',
      'SMGW_LMN_REPLAY',
    ]);
    assert.equal(store.acceptCalls, 2, 'one store call per batch');
    assert.equal(store.readings.length, 2 * n);
    assert.equal(events.named('LMN_REPLAY').length, 3);
    assert.equal(store.meterCounter('ELS-12345678'), 11);
  });

  it('mode 5 is refused (SMGW_LMN_INSECURE) unless the profile allows it, then marked mode5', () => {
    const records = CASES[1]?.records ?? [];
    const frame = telegram({ serial: '87654321', medium: 'gas', records, counter: 3, mode: 5, ci: 0x7a });
    const strict = setup([wmbusProfile('87654321', 'gas', ['0700030000ff'])]);
    assert.deepEqual(strict.ingest.handleBatch([at(frame)]), ['SMGW_LMN_INSECURE']);
    assert.equal(strict.store.readings.length, 0);
    assert.equal(strict.events.named('LMN_INSECURE').length, 1);

    const lax = setup([wmbusProfile('87654321', 'gas', ['0700030000ff'], { allowMode5: true })]);
    assert.deepEqual(lax.ingest.handleBatch([at(frame)]), ['stored']);
    assert.equal(lax.store.readings[0]?.security, 'mode5');
    assert.equal(lax.store.readings[0]?.value, '123456');
  });

  it('mode 0 and mode 7 without an AFL MAC are refused as insecure', () => {
    const { store, ingest } = setup([wmbusProfile('12345678', 'water', ['0800010000ff'], { allowMode5: true })]);
    const records = CASES[2]?.records ?? [];
    const plain = telegram({ serial: '12345678', medium: 'water', records, counter: 1, mode: 0 });
    const noAfl = telegram({ serial: '12345678', medium: 'water', records, counter: 1, noAfl: true, kdf: 0 });
    const noMac = telegram({ serial: '12345678', medium: 'water', records, counter: 2, aflAuthType: 0 });
    assert.deepEqual(ingest.handleBatch([at(plain), at(noAfl), at(noMac)]), [
      'SMGW_LMN_INSECURE',
      'SMGW_LMN_INSECURE',
      'SMGW_LMN_INSECURE',
    ]);
    assert.equal(store.readings.length, 0);
  });

  it('an unknown or inactive meter is refused with LMN_UNKNOWN_METER', () => {
    const { store, events, ingest } = setup([
      wmbusProfile('12345678', 'electricity', ['0100010800ff']),
      wmbusProfile('22222222', 'electricity', ['0100010800ff'], { active: false }),
    ]);
    const records = CASES[0]?.records ?? [];
    const stranger = telegram({ serial: '99999999', medium: 'electricity', records, counter: 1 });
    const inactive = telegram({ serial: '22222222', medium: 'electricity', records, counter: 1 });
    const otherMaker = telegram({
      serial: '12345678',
      manufacturer: 'KAM',
      medium: 'electricity',
      records,
      counter: 1,
    });
    assert.deepEqual(ingest.handleBatch([at(stranger), at(inactive), at(otherMaker)]), [
      'SMGW_LMN_UNKNOWN_METER',
      'SMGW_LMN_UNKNOWN_METER',
      'SMGW_LMN_UNKNOWN_METER',
    ]);
    assert.equal(store.acceptCalls, 0);
    assert.deepEqual(
      events.named('LMN_UNKNOWN_METER').map((e) => e.subject),
      ['ELS-99999999', 'ELS-22222222', 'KAM-12345678'],
    );
  });

  it('reloadProfiles takes effect for the next batch', () => {
    const { ingest } = setup([]);
    const frame = telegram({ serial: '12345678', medium: 'gas', records: CASES[1]?.records ?? [], counter: 1 });
    assert.deepEqual(ingest.handleBatch([at(frame)]), ['SMGW_LMN_UNKNOWN_METER']);
    ingest.reloadProfiles([wmbusProfile('12345678', 'gas', ['0700030000ff'])]);
    assert.deepEqual(ingest.handleBatch([at(frame)]), ['stored']);
    ingest.reloadProfiles([]);
    assert.equal(ingest.meterCount, 0);
  });

  it('an AFL-fragmented message is pending until its last fragment, then stored once', () => {
    const { store, ingest } = setup([wmbusProfile('12345678', 'heat', ['0600010000ff', '0600020000ff'])]);
    const frames = telegramFrames(
      { serial: '12345678', medium: 'heat', records: CASES[3]?.records ?? [], counter: 9 },
      20,
    );
    assert.ok(frames.length >= 2, `${frames.length} fragments`);
    const results = ingest.handleBatch(frames.map((f) => at(f)));
    assert.deepEqual(results, [...frames.slice(1).map(() => 'pending'), 'stored']);
    assert.deepEqual(
      store.readings.map((r) => r.value),
      ['5000', '123456'],
    );
  });

  it('a damaged frame (CRC) is SMGW_LMN_MALFORMED; a store failure refuses the batch without a throw', () => {
    const { store, events, ingest } = setup();
    const frame = telegram({ serial: '12345678', medium: 'electricity', records: CASES[0]?.records ?? [], counter: 5 });
    const bad = Uint8Array.from(frame);
    bad[bad.length - 5] = (bad[bad.length - 5] as number) ^ 0x40;
    store.failNext = true;
    assert.deepEqual(ingest.handleBatch([at(bad), at(frame)]), ['SMGW_LMN_MALFORMED', 'SMGW_LMN_STORE_FAILED']);
    assert.equal(events.named('LMN_STORE_FAILED').length, 1);
    assert.deepEqual(ingest.handleBatch([at(frame)]), ['stored'], 'the same frame is taken once the store works');
  });

  it('property: random bytes (and random damage to a good frame) never throw and are never stored', () => {
    const { store, ingest } = setup();
    const good = telegram({ serial: '12345678', medium: 'electricity', records: CASES[0]?.records ?? [], counter: 1 });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
              const b = Uint8Array.from(good);
              b[i] = (b[i] as number) ^ x;
              return b;
            }),
          ),
          { maxLength: 8 },
        ),
        (list) => {
          const results = ingest.handleBatch(list.map((b) => at(b)));
          assert.equal(results.length, list.length);
          for (const r of results) assert.notEqual(r, 'stored');
        },
      ),
      { numRuns: 400 },
    );
    assert.equal(store.readings.length, 0);
  });
});
