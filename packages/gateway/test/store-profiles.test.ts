import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openGatewayStore } from '../src/store/gateway-store.js';
import {
  communicationProfile,
  evaluationProfile,
  meterProfile,
  storeCode,
  tempDir,
  withStore,
} from './fixtures/store-fixtures.js';

const tmp = tempDir();
after(() => tmp.cleanup());

describe('gateway store: profiles', () => {
  it('puts, replaces, lists and deletes the three kinds of profile', () =>
    withStore((s) => {
      s.putMeterProfile(meterProfile('ELS-00000002'));
      s.putMeterProfile(meterProfile('ELS-00000001'));
      s.putMeterProfile({ ...meterProfile('ELS-00000001'), active: false });
      assert.deepEqual(s.meterProfiles(), [
        { ...meterProfile('ELS-00000001'), active: false },
        meterProfile('ELS-00000002'),
      ]);
      s.putCommunicationProfile(communicationProfile());
      assert.deepEqual(s.communicationProfiles(), [communicationProfile()]);
      s.putEvaluationProfile(evaluationProfile());
      assert.deepEqual(s.evaluationProfiles(), [evaluationProfile()]);

      assert.equal(s.deleteMeterProfile('ELS-00000001'), true);
      assert.equal(s.deleteMeterProfile('ELS-00000001'), false);
      assert.equal(s.deleteCommunicationProfile('emt-1'), true);
      assert.equal(s.deleteEvaluationProfile('taf7-1'), true);
      assert.equal(s.deleteEvaluationProfile('taf7-1'), false);
      assert.equal(s.meterProfiles().length, 1);
      assert.deepEqual(s.communicationProfiles(), []);
      assert.deepEqual(s.evaluationProfiles(), []);
    }));

  it('refuses profiles that do not validate; nothing is stored', () =>
    withStore((s) => {
      assert.throws(
        () => s.putMeterProfile({ ...meterProfile(), channels: [] }),
        (e: unknown) => {
          storeCode('SMGW_STORE_BAD_ARGUMENT')(e);
          assert.equal((e as { detail: { path?: string } }).detail.path, 'meter_profile.channels');
          return true;
        },
      );
      assert.throws(
        () => s.putEvaluationProfile({ ...evaluationProfile(), taf: 3 as 7 }),
        storeCode('SMGW_STORE_BAD_ARGUMENT'),
      );
      assert.throws(
        () => s.putCommunicationProfile({ ...communicationProfile(), url: 'http://x' }),
        storeCode('SMGW_STORE_BAD_ARGUMENT'),
      );
      assert.deepEqual(s.meterProfiles(), []);
      assert.throws(() => s.deleteMeterProfile('bad id'), storeCode('SMGW_STORE_BAD_ARGUMENT'));
    }));

  it('a profile row changed behind our back reads as SMGW_STORE_CORRUPT, not a crash', () => {
    const path = tmp.file('profiles.db');
    const s = openGatewayStore(path);
    s.putMeterProfile(meterProfile());
    s.putEvaluationProfile(evaluationProfile());
    s.putCommunicationProfile(communicationProfile());
    s.close();
    const raw = new Database(path);
    raw.exec(`UPDATE meter_profile SET json = json_set(json, '$.medium', 'plutonium')`);
    raw.exec(`UPDATE evaluation_profile SET json = '{not json'`);
    raw.exec(`UPDATE communication_profile SET id = 'emt-2'`);
    raw.close();
    const t = openGatewayStore(path);
    try {
      assert.throws(
        () => t.meterProfiles(),
        (e: unknown) => {
          storeCode('SMGW_STORE_CORRUPT')(e);
          assert.deepEqual((e as { detail: unknown }).detail, { table: 'meter_profile', id: 'ELS-12345678' });
          return true;
        },
      );
      assert.throws(() => t.evaluationProfiles(), storeCode('SMGW_STORE_CORRUPT'));
      assert.throws(() => t.communicationProfiles(), storeCode('SMGW_STORE_CORRUPT'));
      // The way out: the GWA sets the profile again.
      t.putMeterProfile(meterProfile());
      assert.deepEqual(t.meterProfiles(), [meterProfile()]);
    } finally {
      t.close();
    }
  });

  it('never puts a key into an error message', () =>
    withStore((s) => {
      const key = 'deadbeefdeadbeefdeadbeefdeadbeef';
      try {
        s.putMeterProfile({ ...meterProfile(), access: { ...meterProfile().access, keyHex: `${key}zz` } as never });
        assert.fail('expected a StoreError');
      } catch (e) {
        assert.doesNotMatch(JSON.stringify(e) + String((e as Error).message), /deadbeef/);
      }
    }));
});

describe('gateway store: state', () => {
  it('stores JSON values by key; undefined deletes', () =>
    withStore((s) => {
      assert.equal(s.getState('wakeup.lastCounter'), undefined);
      s.setState('wakeup.lastCounter', 42);
      s.setState('wan/identity', { host: 'gwa', port: 9000, tags: ['a', null, true] });
      assert.equal(s.getState<number>('wakeup.lastCounter'), 42);
      assert.deepEqual(s.getState('wan/identity'), { host: 'gwa', port: 9000, tags: ['a', null, true] });
      s.setState('wakeup.lastCounter', 43);
      assert.equal(s.getState('wakeup.lastCounter'), 43);
      s.setState('wakeup.lastCounter', null);
      assert.equal(s.getState('wakeup.lastCounter'), null);
      s.setState('wakeup.lastCounter', undefined);
      assert.equal(s.getState('wakeup.lastCounter'), undefined);
    }));

  it('refuses values JSON cannot hold and bad keys', () =>
    withStore((s) => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => s.setState('k', cyclic), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.setState('k', 10n), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.setState('k', () => 1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.setState('k', 'x'.repeat(1024 * 1024 + 1)), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.setState('', 1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.getState('a key'), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.equal(s.getState('k'), undefined);
    }));

  it('a state row edited into non-JSON reads as SMGW_STORE_CORRUPT', () => {
    const path = tmp.file('state.db');
    const s = openGatewayStore(path);
    s.setState('k', 1);
    s.close();
    const raw = new Database(path);
    raw.exec(`UPDATE state SET json = '{'`);
    raw.close();
    const t = openGatewayStore(path);
    try {
      assert.throws(() => t.getState('k'), storeCode('SMGW_STORE_CORRUPT'));
    } finally {
      t.close();
    }
  });
});
