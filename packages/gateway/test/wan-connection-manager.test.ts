import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import type { AdminSessionSummary, SessionReason } from '../src/wan/admin-session.js';
import { ConnectionManager } from '../src/wan/connection-manager.js';

/** A session that stays open until the test ends it. */
class ControlledSession {
  readonly reasons: SessionReason[] = [];
  #open: { resolve: () => void; reject: (e: Error) => void } | undefined;
  concurrent = 0;
  maxConcurrent = 0;

  run = (reason: SessionReason): Promise<AdminSessionSummary> => {
    this.reasons.push(reason);
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    return new Promise<AdminSessionSummary>((resolve, reject) => {
      this.#open = {
        resolve: () => resolve({ reason, jobs: 0, ran: 0, replayed: 0, failed: 0 }),
        reject,
      };
    }).finally(() => {
      this.concurrent -= 1;
    });
  };

  get open(): boolean {
    return this.#open !== undefined;
  }
  finish(error?: Error): void {
    const o = this.#open;
    this.#open = undefined;
    if (error) o?.reject(error);
    else o?.resolve();
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ConnectionManager', () => {
  it('calls the GWA at start, coalesces wake-ups during a session into one more, and never overlaps', async () => {
    const clock = new FakeClock(0);
    const s = new ControlledSession();
    const m = new ConnectionManager({ adminSession: s, clock, pollIntervalMs: 60_000 });
    m.start();
    assert.deepEqual(s.reasons, ['startup']);
    m.wakeup();
    m.wakeup();
    m.wakeup();
    s.finish();
    await tick();
    assert.deepEqual(s.reasons, ['startup', 'wakeup'], 'three wake-ups during the session: one more session');
    s.finish();
    await m.idle();
    assert.equal(s.maxConcurrent, 1);
    m.wakeup();
    assert.deepEqual(s.reasons, ['startup', 'wakeup', 'wakeup']);
    s.finish();
    await m.idle();
    await m.stop();
  });

  it('runs scheduled sessions every poll interval after the last one ended, also after a failure', async () => {
    const clock = new FakeClock(0);
    const s = new ControlledSession();
    const errors: unknown[] = [];
    const m = new ConnectionManager({ adminSession: s, clock, pollIntervalMs: 60_000, onError: (e) => errors.push(e) });
    m.start();
    clock.advance(120_000);
    assert.deepEqual(s.reasons, ['startup'], 'no schedule while a session runs');
    s.finish(new Error('GWA down'));
    await m.idle();
    assert.equal(errors.length, 1);
    clock.advance(59_999);
    assert.deepEqual(s.reasons, ['startup']);
    clock.advance(1);
    assert.deepEqual(s.reasons, ['startup', 'schedule']);
    s.finish();
    await m.idle();
    m.setPollInterval(10_000);
    clock.advance(10_000);
    assert.deepEqual(s.reasons, ['startup', 'schedule', 'schedule']);
    s.finish();
    await m.idle();
    await m.stop();
    clock.advance(1_000_000);
    m.wakeup();
    assert.equal(s.reasons.length, 3, 'stopped: no more sessions');
    assert.throws(() => m.setPollInterval(10), RangeError);
  });
});
