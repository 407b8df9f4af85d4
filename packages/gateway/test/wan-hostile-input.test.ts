/**
 * Hostile input on the WAN side, property-tested: whatever a GWA answers (time, job list) and
 * whatever arrives on the wake-up port, the gateway ends in a typed SmgwError or a clean
 * refusal, runs no job it could not read, and never crashes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { signWakeupPacket } from '@opensmgw/security';
import fc from 'fast-check';
import type { AdminJobHandler } from '../src/wan/admin-handlers.js';
import { AdminSession } from '../src/wan/admin-session.js';
import type { WanRequest, WanResponse } from '../src/wan/https-client.js';
import { FakeWanStore, RecordingEventLog } from './fixtures/wan-fakes.js';
import { makeWanPki, wakeupListenerOf } from './fixtures/wan-pki.js';

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

/** A GWA answer: arbitrary JSON, job-shaped JSON, or arbitrary bytes. */
const jobish = fc.record(
  {
    jobId: fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('j1', 'j2', 'j-3'), fc.integer()),
    type: fc.oneof(fc.constantFrom('read-status', 'sync-time', 'set-schedule', 'create-csr', 'nope'), fc.string()),
    pollIntervalSeconds: fc.oneof(fc.integer(), fc.double()),
    use: fc.string(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.json().map(enc),
  fc.uint8Array({ maxLength: 300 }),
  fc.record({ jobs: fc.array(fc.oneof(jobish, fc.jsonValue()), { maxLength: 5 }) }).map(enc),
  fc.record({ epochMs: fc.oneof(fc.integer(), fc.double(), fc.string()) }).map(enc),
);
const status = fc.constantFrom(200, 200, 200, 204, 404, 500);

describe('WAN hostile input (properties)', () => {
  it('an admin session over any GWA answers ends in a summary or an SmgwError; only readable jobs run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(status, body), { minLength: 1, maxLength: 6 }), async (answers) => {
        const store = new FakeWanStore();
        const events = new RecordingEventLog();
        const ran: string[] = [];
        let i = 0;
        const client = {
          request: async (_r: WanRequest): Promise<WanResponse> => {
            const [s, b] = answers[Math.min(i, answers.length - 1)] as [number, Uint8Array];
            i += 1;
            return { status: s, headers: {}, body: b };
          },
        };
        const handlers: AdminJobHandler = async (job) => {
          assert.match(job.jobId, /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
          ran.push(job.type);
          return { ok: 1 };
        };
        const session = new AdminSession({
          client,
          gwa: { url: 'https://127.0.0.1:9440', servername: 'gwa.opensmgw.test' },
          time: { now: () => 0, sync: () => {} },
          store,
          events,
          handlers,
        });
        try {
          const s = await session.run('schedule');
          assert.ok(s.ran + s.replayed <= s.jobs);
        } catch (e) {
          assert.ok(isSmgwError(e), `typed error, got ${String(e)}`);
        }
        for (const t of ran) assert.ok(['read-status', 'sync-time', 'set-schedule', 'create-csr'].includes(t));
      }),
      { numRuns: 300 },
    );
  });

  it('any datagram or damaged packet on the wake-up port is rejected or dropped, never acted on, never thrown', async () => {
    const pki = await makeWanPki();
    try {
      const clock = new FakeClock(Date.parse('2026-11-28T01:00:00Z'));
      const store = new FakeWanStore();
      const events = new RecordingEventLog();
      let wakeups = 0;
      const listener = wakeupListenerOf(pki, {
        clock,
        store,
        events,
        onWakeup: () => {
          wakeups += 1;
        },
      });
      const valid = await signWakeupPacket(pki.gwa.module, 'wan-sig', {
        gatewayId: pki.gatewayId,
        timestampMs: clock.now(),
        sequence: 5n,
      });
      const damaged = fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc
          .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
          .map(([at, x]) => valid.map((b, i) => (i === at ? b ^ x : b))),
        fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
        fc.uint8Array({ minLength: 1, maxLength: 150 }).map((tail) => new Uint8Array([...valid, ...tail])),
      );
      fc.assert(
        fc.property(damaged, (bytes) => {
          const outcome = listener.receive(bytes);
          assert.ok(outcome === 'rejected' || outcome === 'oversized');
        }),
        { numRuns: 1500 },
      );
      assert.equal(wakeups, 0);
      assert.equal(store.getState('wakeup-verifier'), undefined);
      assert.equal(listener.receive(valid), 'accepted', 'the undamaged packet still passes');
      assert.equal(wakeups, 1);
    } finally {
      await pki.close();
    }
  });
});
