import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { type Capability, OperatingState } from '../src/core/operating-state.js';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { LogSink } from './fixtures/core-fakes.js';

function setup() {
  const sink = new LogSink();
  const events = new RateLimitedEventLog({ store: sink, clock: new FakeClock(0) });
  const states = new OperatingState({ events });
  const changes: string[] = [];
  states.onChange((s) => changes.push(s));
  return { sink, states, changes };
}

const CAPS: readonly Capability[] = ['metering', 'deliveries', 'admin', 'han'];
const allowed = (s: OperatingState) => CAPS.filter((c) => s.allows(c));

describe('OperatingState (spec §11)', () => {
  it('starts normal with everything allowed', () => {
    const { states } = setup();
    assert.equal(states.state, 'normal');
    assert.deepEqual(allowed(states), CAPS);
  });

  it('time deviation -> secure-application: only administration (§5.5)', () => {
    const { states, sink, changes } = setup();
    states.enter('time-deviation', 'off by 40 s');
    assert.equal(states.state, 'secure-application');
    assert.deepEqual(allowed(states), ['admin']);
    states.leave('time-deviation', 'good sync');
    assert.equal(states.state, 'normal');
    assert.deepEqual(changes, ['secure-application', 'normal']);
    assert.deepEqual(sink.events('system'), ['OPSTATE_ENTER', 'OPSTATE_LEAVE']);
    assert.match(sink.entries[0]!.message, /time-deviation \(off by 40 s\); state normal -> secure-application/);
  });

  it('storage critical -> secure-application', () => {
    const { states } = setup();
    states.enter('storage-critical', 'disk 99 %');
    assert.equal(states.state, 'secure-application');
  });

  it('time invalid -> secure-measurement: metering goes on (values are marked)', () => {
    const { states } = setup();
    states.enter('time-invalid', 'never synced');
    assert.equal(states.state, 'secure-measurement');
    assert.deepEqual(allowed(states), CAPS);
  });

  it('separation lost -> secure-connectivity: HAN disabled', () => {
    const { states } = setup();
    states.enter('separation-lost', 'self-test');
    assert.equal(states.state, 'secure-connectivity');
    assert.deepEqual(allowed(states), ['metering', 'deliveries', 'admin']);
  });

  it('several conditions: the most restrictive state wins, capabilities intersect', () => {
    const { states, changes } = setup();
    states.enter('time-invalid', 'a');
    states.enter('separation-lost', 'b');
    states.enter('time-deviation', 'c');
    assert.equal(states.state, 'secure-application');
    assert.deepEqual(allowed(states), ['admin']);
    states.leave('time-deviation', 'c done');
    assert.equal(states.state, 'secure-connectivity');
    assert.equal(states.allows('han'), false);
    states.leave('separation-lost', 'b done');
    assert.equal(states.state, 'secure-measurement');
    states.leave('time-invalid', 'a done');
    assert.deepEqual(changes, [
      'secure-measurement',
      'secure-connectivity',
      'secure-application',
      'secure-connectivity',
      'secure-measurement',
      'normal',
    ]);
  });

  it('enter and leave are idempotent and log only real transitions', () => {
    const { states, sink } = setup();
    states.enter('time-invalid', 'x');
    states.enter('time-invalid', 'x again');
    states.leave('separation-lost', 'was never raised');
    states.leave('time-invalid', 'ok');
    states.leave('time-invalid', 'ok again');
    assert.deepEqual(sink.events('system'), ['OPSTATE_ENTER', 'OPSTATE_LEAVE']);
  });
});
