import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreError, createJsonLogger, FakeClock, isSmgwError, SmgwError, toSmgwError } from '@opensmgw/core';

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
