// The wM-Bus ingest against the real SQLite store (':memory:') and the rate-limited event log:
// persisted values, the replay counter surviving a new ingest instance, refusals in the
// hash-chained system log, and a flood of unknown-meter telegrams kept to a few entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { WmbusIngest } from '../src/lmn/wmbus-ingest.js';
import { openGatewayStore } from '../src/store/index.js';
import { telegram, wmbusProfile } from './fixtures/lmn-fakes.js';

const T0 = Date.parse('2026-11-27T08:00:00Z');

describe('lmn ingest with the SQLite store', () => {
  it('stores exact values, refuses a replay even after a restart of the ingest, logs refusals in the system log', () => {
    const store = openGatewayStore(':memory:');
    try {
      const clock = new FakeClock(T0);
      const events = new RateLimitedEventLog({ store, clock });
      const profiles = [wmbusProfile('12345678', 'heat', ['0600010000ff', '0600020000ff'])];
      const make = () => {
        const ingest = new WmbusIngest({ store, events, clock, statusWord: () => 0 });
        ingest.reloadProfiles(profiles);
        return ingest;
      };
      const records = [
        { dataField: 0x4, vif: '06', value: 5_000_000 },
        { dataField: 0x4, vif: '14', value: 1234.56 },
      ];
      const f1 = telegram({ serial: '12345678', medium: 'heat', records, counter: 100 });
      const f2 = telegram({ serial: '12345678', medium: 'heat', records, counter: 101 });

      assert.deepEqual(make().handleBatch([{ bytes: f1, receivedAtMs: T0 }]), ['stored']);
      assert.equal(store.meterCounter('ELS-12345678'), 100);
      const rows = store.readingsAfter('ELS-12345678', 0, 10);
      assert.deepEqual(
        rows.map((r) => [r.obis, r.value, r.scaler, r.unit, r.security, r.captureTimeMs]),
        [
          ['0600010000ff', '5000', 3, 'Wh', 'mode7', T0],
          ['0600020000ff', '123456', -2, 'm3', 'mode7', T0],
        ],
      );

      const again = make(); // a restarted gateway: the counter comes from the store
      assert.deepEqual(
        again.handleBatch([
          { bytes: f1, receivedAtMs: T0 + 1 },
          { bytes: f2, receivedAtMs: T0 + 2 },
        ]),
        ['SMGW_LMN_REPLAY', 'stored'],
      );
      assert.equal(store.countReadings(), 4);
      const log = store.readLog('system', 1, 100);
      assert.deepEqual(
        log.map((e) => [e.event, e.subject]),
        [['LMN_REPLAY', 'ELS-12345678']],
      );
      assert.equal(store.verifyLog('system').ok, true);
    } finally {
      store.close();
    }
  });

  it('a flood of telegrams from one unknown meter is rate limited in the system log', () => {
    const store = openGatewayStore(':memory:');
    try {
      const clock = new FakeClock(T0);
      const events = new RateLimitedEventLog({ store, clock, burst: 5 });
      const ingest = new WmbusIngest({ store, events, clock, statusWord: () => 0 });
      ingest.reloadProfiles([]);
      const f = telegram({ serial: '55555555', medium: 'water', records: [], counter: 1 });
      const results = ingest.handleBatch(Array.from({ length: 200 }, () => ({ bytes: f, receivedAtMs: T0 })));
      assert.ok(results.every((r) => r === 'SMGW_LMN_UNKNOWN_METER'));
      const log = store.readLog('system', 1, 1500);
      assert.equal(log.length, 5);
      assert.ok(log.every((e) => e.event === 'LMN_UNKNOWN_METER' && e.subject === 'ELS-55555555'));
      assert.equal(events.pendingSuppressed(), 195);
    } finally {
      store.close();
    }
  });
});
