import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { signWakeupPacket } from '@opensmgw/security';
import { MAX_WAKEUP_DATAGRAM, WAKEUP_STATE_KEY, type WakeupListener } from '../src/wan/wakeup-listener.js';
import { FakeWanStore, RecordingEventLog } from './fixtures/wan-fakes.js';
import { makeWanPki, type WanPki, wakeupListenerOf } from './fixtures/wan-pki.js';

const T0 = Date.parse('2026-11-28T01:00:00Z');

describe('WakeupListener', () => {
  let pki: WanPki;
  let clock: FakeClock;
  let store: FakeWanStore;
  let events: RecordingEventLog;
  let wakeups: number;

  const countWakeup = (): void => {
    wakeups += 1;
  };
  const listener = (s: FakeWanStore = store, gatewayId = pki.gatewayId, onWakeup = countWakeup): WakeupListener =>
    wakeupListenerOf(pki, { gatewayId, clock, store: s, events, onWakeup });
  const packet = (fields: { gatewayId?: string; timestampMs?: number; sequence?: bigint } = {}, by = pki.gwa.module) =>
    signWakeupPacket(by, 'wan-sig', {
      gatewayId: fields.gatewayId ?? pki.gatewayId,
      timestampMs: fields.timestampMs ?? clock.now(),
      sequence: fields.sequence ?? 1n,
    });
  const rejections = (): string[] => events.events('WAKEUP_REJECTED').map((e) => e.message.split(':')[0] as string);

  before(async () => {
    pki = await makeWanPki();
  });
  after(async () => {
    await pki?.close();
  });
  beforeEach(() => {
    clock = new FakeClock(T0);
    store = new FakeWanStore();
    events = new RecordingEventLog();
    wakeups = 0;
  });

  it('accepts a valid packet: system log WAKEUP_ACCEPTED, state persisted, then onWakeup', async () => {
    let stateAtWakeup: unknown;
    const withCheck = listener(store, pki.gatewayId, () => {
      stateAtWakeup = store.getState(WAKEUP_STATE_KEY);
      wakeups += 1;
    });
    assert.equal(withCheck.receive(await packet(), '10.0.0.1:5000'), 'accepted');
    assert.equal(wakeups, 1);
    assert.deepEqual(stateAtWakeup, { lastTimestampMs: T0, lastSequence: '1' });
    const [accepted] = events.events('WAKEUP_ACCEPTED');
    assert.equal(accepted?.log, 'system');
    assert.equal(accepted?.subject, '10.0.0.1:5000');
  });

  it('rejects a forged signature, a replay, a packet for another gateway, a stale one and an oversized datagram', async () => {
    const l = listener();
    assert.equal(l.receive(await packet({}, pki.emt.module)), 'rejected');
    const good = await packet();
    assert.equal(l.receive(good), 'accepted');
    assert.equal(l.receive(good), 'rejected');
    assert.equal(l.receive(await packet({ gatewayId: 'EOSM0100000002', sequence: 2n })), 'rejected');
    assert.equal(l.receive(await packet({ timestampMs: T0 - 5 * 60_000 - 1, sequence: 3n })), 'rejected');
    const big = new Uint8Array(MAX_WAKEUP_DATAGRAM + 1);
    big.set(good);
    assert.equal(l.receive(big), 'oversized');
    assert.equal(l.receive(new Uint8Array(0)), 'rejected');
    assert.equal(wakeups, 1);
    assert.deepEqual(rejections(), [
      'SMGW_WAKEUP_BAD_SIGNATURE',
      'SMGW_WAKEUP_REPLAY',
      'SMGW_WAKEUP_WRONG_RECIPIENT',
      'SMGW_WAKEUP_STALE',
      'SMGW_WAN_WAKEUP_OVERSIZED',
      'SMGW_WAKEUP_MALFORMED',
    ]);
    for (const e of events.events('WAKEUP_REJECTED')) {
      assert.equal(e.log, 'system');
      assert.equal(e.outcome, 1);
    }
  });

  it('refuses a replay after a restart (state restored from the store), a fresh store would not', async () => {
    const good = await packet({ sequence: 7n });
    assert.equal(listener().receive(good), 'accepted');
    clock.advance(1000);
    assert.equal(listener().receive(good), 'rejected', 'restarted listener on the same store');
    assert.deepEqual(rejections(), ['SMGW_WAKEUP_REPLAY']);
    assert.equal(listener(new FakeWanStore()).receive(good), 'accepted', 'without the state the replay would pass');
    const newer = await packet({ timestampMs: clock.now(), sequence: 1n });
    assert.equal(listener().receive(newer), 'accepted');
    assert.equal(wakeups, 3);
  });

  it('does not act on a wake-up whose replay state cannot be saved', async () => {
    store.failWrites = true;
    assert.equal(listener().receive(await packet()), 'rejected');
    assert.equal(wakeups, 0);
    assert.deepEqual(rejections(), ['SMGW_WAN_WAKEUP_UNSAVED']);
  });

  it('receives packets over UDP on 127.0.0.1', async () => {
    let resolveWakeup: () => void = () => {};
    const gotWakeup = new Promise<void>((resolve) => {
      resolveWakeup = resolve;
    });
    const l = listener(store, pki.gatewayId, () => resolveWakeup());
    const port = await l.start();
    const out = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => out.send(new Uint8Array(300), port, '127.0.0.1', () => resolve()));
      out.send(await packet(), port, '127.0.0.1');
      await gotWakeup;
    } finally {
      out.close();
      await l.stop();
    }
    assert.equal(events.events('WAKEUP_ACCEPTED').length, 1);
    assert.deepEqual(rejections(), ['SMGW_WAN_WAKEUP_OVERSIZED']);
    assert.match(events.events('WAKEUP_ACCEPTED')[0]?.subject ?? '', /^127\.0\.0\.1$/);
  });
});
