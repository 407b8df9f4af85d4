import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CoreError,
  createJsonLogger,
  FakeClock,
  isSmgwError,
  SmgwError,
  systemClock,
  toSmgwError,
} from '@opensmgw/core';

describe('SmgwError', () => {
  it('carries a stable code, detail and cause, and serialises without the stack', () => {
    const cause = new Error('inner');
    const e = new CoreError('SMGW_CORE_TRUNCATED', 'short', { cause, detail: { need: 2 } });
    assert.equal(e.code, 'SMGW_CORE_TRUNCATED');
    assert.equal(e.name, 'CoreError');
    assert.equal(e.cause, cause);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), {
      code: 'SMGW_CORE_TRUNCATED',
      message: 'short',
      detail: { need: 2 },
    });
    assert.ok(isSmgwError(e));
    assert.ok(e instanceof SmgwError);
  });
  it('wraps foreign errors as SMGW_CORE_INTERNAL and passes own errors through', () => {
    assert.equal(toSmgwError(new TypeError('x')).code, 'SMGW_CORE_INTERNAL');
    const own = new CoreError('SMGW_CORE_BAD_HEX', 'x');
    assert.equal(toSmgwError(own), own);
    assert.ok(!isSmgwError(new Error('plain')));
  });
});

describe('FakeClock', () => {
  it('moves only when told, monotonic only forward', () => {
    const c = new FakeClock('2026-01-01T00:00:00Z');
    assert.equal(c.now(), Date.parse('2026-01-01T00:00:00Z'));
    c.advance(1500);
    assert.equal(c.monotonic(), 1500);
    c.set(0);
    assert.equal(c.now(), 0);
    assert.equal(c.monotonic(), 1500);
    assert.throws(() => c.advance(-1), RangeError);
  });
});

describe('JSON logger', () => {
  it('writes structured lines at or above the level and never writes secret fields', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: 'info', sink: (l) => lines.push(l), now: () => 0 }).child({
      meter: 'ELS12345678',
    });
    log.debug('hidden');
    log.warn('mac failed', { key: '000102', counter: 7 });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0] as string), {
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'mac failed',
      meter: 'ELS12345678',
      key: '[redacted]',
      counter: 7,
    });
  });
});

describe('FakeClock timers', () => {
  it('fire inside advance, in due order, each seeing its due time', () => {
    const c = new FakeClock(1000);
    const seen: string[] = [];
    c.setTimer(50, () => seen.push(`b@${c.monotonic()}/${c.now()}`));
    c.setTimer(10, () => seen.push(`a@${c.monotonic()}/${c.now()}`));
    c.setTimer(50, () => seen.push(`c@${c.monotonic()}`));
    assert.equal(c.pendingTimers, 3);
    c.advance(9);
    assert.deepEqual(seen, []);
    c.advance(41);
    assert.deepEqual(seen, ['a@10/1010', 'b@50/1050', 'c@50']);
    assert.equal(c.monotonic(), 50);
    assert.equal(c.pendingTimers, 0);
  });
  it('cancel is idempotent; a timer set by a callback fires in the same advance if due', () => {
    const c = new FakeClock();
    let fired = 0;
    const h = c.setTimer(5, () => fired++);
    h.cancel();
    h.cancel();
    c.setTimer(5, () => c.setTimer(5, () => fired++));
    c.advance(10);
    assert.equal(fired, 1);
    assert.equal(c.monotonic(), 10);
    assert.throws(() => c.setTimer(-1, () => {}), RangeError);
    assert.throws(() => c.setTimer(Number.NaN, () => {}), RangeError);
  });
  it('wall-clock jumps (set) do not move timers', () => {
    const c = new FakeClock();
    let fired = false;
    c.setTimer(100, () => {
      fired = true;
    });
    c.set('2030-01-01T00:00:00Z');
    assert.equal(fired, false);
    c.advance(100);
    assert.equal(fired, true);
  });
});

describe('systemClock timers', () => {
  it('fire after the delay and can be cancelled', async () => {
    const start = systemClock.monotonic();
    await new Promise<void>((resolve) => systemClock.setTimer(5, resolve));
    assert.ok(systemClock.monotonic() - start >= 5);
    let fired = false;
    systemClock
      .setTimer(1, () => {
        fired = true;
      })
      .cancel();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(fired, false);
  });
  it('accept delays beyond setTimeout range (31 days) without firing early', async () => {
    let fired = false;
    const h = systemClock.setTimer(31 * 24 * 3600 * 1000, () => {
      fired = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    h.cancel();
    assert.equal(fired, false);
  });
});
