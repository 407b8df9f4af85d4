import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { LogSink } from './fixtures/core-fakes.js';

const ev = (event: string, subject?: string) => ({
  level: 2 as const,
  outcome: 1 as const,
  event,
  message: `${event} happened`,
  ...(subject === undefined ? {} : { subject }),
});

describe('RateLimitedEventLog', () => {
  it('lets a burst through, suppresses the rest and writes one summary when the bucket refills', () => {
    const sink = new LogSink();
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const log = new RateLimitedEventLog({ store: sink, clock, burst: 3, perMinute: 6 });
    const results = Array.from({ length: 10 }, () => log.record('system', ev('LMN_REPLAY', 'M1')));
    assert.equal(results.filter((r) => r !== undefined).length, 3);
    assert.equal(sink.entries.length, 3);
    assert.equal(log.pendingSuppressed(), 7);
    // 10 s later one token is back: the next event goes through, preceded by the summary.
    clock.advance(10_000);
    const e = log.record('system', ev('LMN_REPLAY', 'M1'));
    assert.ok(e !== undefined);
    assert.deepEqual(sink.events().slice(3), ['LOG_SUPPRESSED', 'LMN_REPLAY']);
    const summary = sink.entries[3]!;
    assert.equal(summary.message, '7 similar events suppressed (LMN_REPLAY)');
    assert.equal(summary.subject, 'M1');
    assert.equal(summary.timeMs, clock.now());
    assert.equal(log.pendingSuppressed(), 0);
  });

  it('keeps separate buckets per event and subject', () => {
    const sink = new LogSink();
    const log = new RateLimitedEventLog({ store: sink, clock: new FakeClock(0), burst: 1, perMinute: 1 });
    assert.ok(log.record('system', ev('LMN_REPLAY', 'M1')));
    assert.equal(log.record('system', ev('LMN_REPLAY', 'M1')), undefined);
    assert.ok(log.record('system', ev('LMN_REPLAY', 'M2')));
    assert.ok(log.record('system', ev('LMN_BAD_MAC', 'M1')));
    assert.ok(log.record('system', ev('LMN_BAD_MAC')));
  });

  it('never limits the consumer and calibration logs (billing relevance, spec §10)', () => {
    const sink = new LogSink();
    const log = new RateLimitedEventLog({ store: sink, clock: new FakeClock(0), burst: 1, perMinute: 1 });
    for (let i = 0; i < 50; i++) {
      assert.ok(log.record('consumer', { ...ev('TAF_VALUES_RECORDED', 'p1'), user: 'c1' }));
      assert.ok(log.record('calibration', ev('TAF_NO_READING', 'p1')));
    }
    assert.equal(sink.events('consumer').length, 50);
    assert.equal(sink.events('calibration').length, 50);
    assert.equal(sink.entries.find((e) => e.log === 'consumer')?.user, 'c1');
  });

  it('flush() writes pending summaries once the bucket has refilled, and only then', () => {
    const sink = new LogSink();
    const clock = new FakeClock(0);
    const log = new RateLimitedEventLog({ store: sink, clock, burst: 1, perMinute: 1 });
    log.record('system', ev('FLOOD', 'x'));
    log.record('system', ev('FLOOD', 'x'));
    log.record('system', ev('FLOOD', 'x'));
    assert.equal(log.flush(), 0);
    clock.advance(60_000);
    assert.equal(log.flush(), 1);
    assert.equal(sink.entries.at(-1)?.message, '2 similar events suppressed (FLOOD)');
    assert.equal(log.flush(), 0);
  });

  it('refills on monotonic time: a wall clock set backwards does not stall or speed it', () => {
    const sink = new LogSink();
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const log = new RateLimitedEventLog({ store: sink, clock, burst: 1, perMinute: 1 });
    log.record('system', ev('E', 's'));
    clock.set('2030-01-01T00:00:00Z');
    assert.equal(log.record('system', ev('E', 's')), undefined);
    clock.advance(60_000);
    assert.ok(log.record('system', ev('E', 's')));
  });

  it('bounds memory under a flood of distinct subjects (hostile meter IDs)', () => {
    const sink = new LogSink();
    const log = new RateLimitedEventLog({ store: sink, clock: new FakeClock(0), burst: 2, perMinute: 1 });
    for (let i = 0; i < 5000; i++) log.record('system', ev('LMN_UNKNOWN_METER', `X-${i}`));
    // 1024 subjects get their own bucket (2 each would be 2048); the rest share one bucket.
    assert.ok(sink.entries.length <= 1024 + 2, `wrote ${sink.entries.length}`);
    assert.ok(log.pendingSuppressed() >= 5000 - 1026);
  });
});

describe('RateLimitedEventLog summaries without a further event of the same kind', () => {
  it('another system event a minute later writes the pending summary of a flood that stopped', () => {
    const sink = new LogSink();
    const clock = new FakeClock(0);
    const log = new RateLimitedEventLog({ store: sink, clock, burst: 1, perMinute: 1 });
    log.record('system', ev('LMN_BAD_MAC', 'M9'));
    log.record('system', ev('LMN_BAD_MAC', 'M9'));
    clock.advance(61_000);
    log.record('system', ev('WAKEUP_ACCEPTED'));
    assert.deepEqual(sink.events(), ['LMN_BAD_MAC', 'LOG_SUPPRESSED', 'WAKEUP_ACCEPTED']);
    assert.equal(sink.entries[1]!.message, '1 similar events suppressed (LMN_BAD_MAC)');
  });
});
