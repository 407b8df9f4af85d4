import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { GatewayTime, SYSTEMTIME_INVALID } from '../src/core/gateway-time.js';
import { OperatingState } from '../src/core/operating-state.js';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { LogSink } from './fixtures/core-fakes.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

function setup(periodSeconds = 900) {
  const clock = new FakeClock(T0);
  const sink = new LogSink();
  const events = new RateLimitedEventLog({ store: sink, clock });
  const states = new OperatingState({ events });
  const time = new GatewayTime({
    clock,
    events,
    minRegistrationPeriodSeconds: () => periodSeconds,
    operatingState: states,
  });
  return { clock, sink, states, time };
}

describe('GatewayTime (spec §5.5, §7.3, §11)', () => {
  it('is invalid until the first sync: status 0x200 and secure-measurement', () => {
    const { time, states } = setup();
    assert.equal(time.valid, false);
    assert.equal(time.statusWord(), SYSTEMTIME_INVALID);
    assert.equal(states.state, 'secure-measurement');
  });

  it('first sync: offset = GWA time + rtt/2 − local receive time; time becomes valid', () => {
    const { time, states, sink, clock } = setup();
    // The local clock is 100 s slow; the request took 400 ms.
    const sent = clock.now();
    const gwa = sent + 100_000 + 200;
    const received = sent + 400;
    const r = time.sync(gwa, sent, received);
    assert.equal(r.offsetMs, 100_000);
    assert.equal(r.withinTolerance, true);
    assert.equal(time.valid, true);
    assert.equal(time.statusWord(), 0);
    assert.equal(time.now(), clock.now() + 100_000);
    assert.equal(states.state, 'normal');
    assert.deepEqual(sink.events('calibration'), ['TIME_SET']);
  });

  it('deviation > 3 % of the smallest period (27 s for 15 min) -> secure-application, logged; a good sync leaves it', () => {
    const { time, states, sink, clock } = setup();
    time.sync(clock.now(), clock.now(), clock.now());
    clock.advance(3_600_000);
    // Our clock drifted 27 s: still within the limit.
    let r = time.sync(clock.now() - 27_000, clock.now(), clock.now());
    assert.equal(r.deviationMs, 27_000);
    assert.equal(r.toleranceMs, 27_000);
    assert.equal(states.state, 'normal');
    // 28 s more: beyond.
    r = time.sync(clock.now() - 27_000 - 28_000, clock.now(), clock.now());
    assert.equal(r.withinTolerance, false);
    assert.equal(states.state, 'secure-application');
    assert.equal(states.allows('metering'), false);
    assert.deepEqual(sink.events('calibration'), ['TIME_SET', 'TIME_DEVIATION']);
    assert.ok(sink.events('system').includes('TIME_DEVIATION'));
    // The offset is corrected anyway; the next sample agrees -> the state is left.
    r = time.sync(clock.now() - 55_000 + 1000, clock.now(), clock.now());
    assert.equal(r.withinTolerance, true);
    assert.equal(states.state, 'normal');
    assert.deepEqual(sink.events('calibration'), ['TIME_SET', 'TIME_DEVIATION', 'TIME_DEVIATION_CLEARED']);
  });

  it('the tolerance follows the smallest registration period (5 s demo period: 150 ms)', () => {
    const { time } = setup(5);
    assert.equal(time.toleranceMs(), 150);
  });

  it('refuses implausible samples with SMGW_TIME_BAD_SAMPLE and changes nothing', () => {
    const { time, clock } = setup();
    for (const [g, s, r] of [
      [Number.NaN, 0, 0],
      [T0, T0 + 10, T0],
      [T0, T0, T0 + 120_000],
      [5, T0, T0],
      [1e20, T0, T0],
    ] as const) {
      assert.throws(
        () => time.sync(g, s, r),
        (e: unknown) => isSmgwError(e) && e.code === 'SMGW_TIME_BAD_SAMPLE',
      );
    }
    assert.equal(time.valid, false);
    assert.equal(time.now(), clock.now());
  });

  it('snapshot/restore keeps the offset across a restart, but validity needs a new sync', () => {
    const { time, clock } = setup();
    time.sync(clock.now() + 5000, clock.now(), clock.now());
    const snap = time.snapshot();
    const sink = new LogSink();
    const events = new RateLimitedEventLog({ store: sink, clock });
    const again = new GatewayTime({ clock, events, minRegistrationPeriodSeconds: () => 900, restore: snap });
    assert.equal(again.now(), clock.now() + 5000);
    assert.equal(again.valid, false);
    assert.equal(again.lastSyncMs, snap.lastSyncMs);
  });

  it('invalidate() marks values again until the next sync', () => {
    const { time, states, clock } = setup();
    time.sync(clock.now(), clock.now(), clock.now());
    time.invalidate('no sync for 48 h');
    assert.equal(time.statusWord(), SYSTEMTIME_INVALID);
    assert.equal(states.state, 'secure-measurement');
  });
});
