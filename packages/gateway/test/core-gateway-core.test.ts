import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { createGatewayCore, LegalClock, TIME_STATE_KEY } from '../src/core/gateway-core.js';
import { openGatewayStore } from '../src/store/gateway-store.js';
import { evaluationProfile, meterProfile } from './fixtures/store-fixtures.js';

describe('createGatewayCore (wiring with the real store)', () => {
  it('starts in Secure State Measurement; log entries carry gateway time once it is synced', () => {
    const clock = new FakeClock('2026-01-06T00:00:00Z');
    const legal = new LegalClock(clock);
    const store = openGatewayStore(':memory:', { clock: legal });
    const core = createGatewayCore({ store, clock, legalClock: legal, gatewayId: 'EOSG0000000001' });
    assert.equal(core.states.state, 'secure-measurement');
    const [entered] = store.readLog('system', 1, 10);
    assert.equal(entered?.event, 'OPSTATE_ENTER');
    assert.equal(entered?.time, '2026-01-06T00:00:00.000Z');
    // The GWA says it is one hour later.
    core.time.sync(clock.now() + 3_600_000, clock.now(), clock.now());
    assert.equal(core.states.state, 'normal');
    const cal = store.readLog('calibration', 1, 10);
    assert.equal(cal[0]?.event, 'TIME_SET');
    assert.equal(cal[0]?.time, '2026-01-06T01:00:00.000Z');
    assert.deepEqual(store.getState(TIME_STATE_KEY), { offsetMs: 3_600_000, lastSyncMs: clock.now() + 3_600_000 });
    assert.equal(store.verifyLog('system').ok, true);
    assert.equal(store.verifyLog('calibration').ok, true);
  });

  it('restores the persisted offset after a restart; the deviation limit follows the profiles', () => {
    const clock = new FakeClock('2026-01-06T00:00:00Z');
    const store = openGatewayStore(':memory:');
    store.putMeterProfile(meterProfile());
    store.putEvaluationProfile({ ...evaluationProfile(), registrationPeriodSeconds: 60 });
    store.setState(TIME_STATE_KEY, { offsetMs: 1234, lastSyncMs: 1 });
    const core = createGatewayCore({ store, clock, gatewayId: 'EOSG0000000001' });
    assert.equal(core.time.now(), clock.now() + 1234);
    assert.equal(core.time.valid, false);
    assert.equal(core.time.toleranceMs(), 1800);
    store.setState(TIME_STATE_KEY, { offsetMs: 'x' });
    assert.equal(createGatewayCore({ store, clock, gatewayId: 'EOSG0000000001' }).time.now(), clock.now());
  });
});
