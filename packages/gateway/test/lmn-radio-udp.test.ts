import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { UdpRadioReceiver } from '../src/lmn/radio-udp.js';
import { type IngestResult, type RadioFrame, WmbusIngest } from '../src/lmn/wmbus-ingest.js';
import { FakeEventLog, FakeStore, telegram, wmbusProfile } from './fixtures/lmn-fakes.js';

async function sendAll(port: number, datagrams: readonly Uint8Array[]): Promise<void> {
  const s = createSocket('udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) => s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }
  s.close();
}

/** Waits until `n` frames arrived (the receiver's own batching decides how they are grouped). */
function collect(n: number) {
  const batches: RadioFrame[][] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const onFrames = (f: readonly RadioFrame[]): void => {
    batches.push([...f]);
    if (batches.flat().length >= n) resolve();
  };
  return { batches, onFrames, done };
}

describe('lmn/radio-udp', () => {
  it('one datagram is one frame, stamped with the clock; empty and oversize datagrams are dropped and counted', async () => {
    const clock = new FakeClock('2026-11-27T10:00:00Z');
    const c = collect(3);
    const rx = new UdpRadioReceiver({ host: '127.0.0.1', port: 0, onFrames: c.onFrames, clock });
    const { port } = await rx.listen();
    assert.equal(rx.address().port, port);
    const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7), Uint8Array.of(9)];
    await sendAll(port, [frames[0] as Uint8Array, new Uint8Array(0), new Uint8Array(301), frames[1] as Uint8Array]);
    await sendAll(port, [frames[2] as Uint8Array]);
    await c.done;
    const got = c.batches.flat();
    assert.deepEqual(
      got.map((f) => Array.from(f.bytes)),
      frames.map((f) => Array.from(f)),
    );
    for (const f of got) assert.equal(f.receivedAtMs, Date.parse('2026-11-27T10:00:00Z'));
    const s = rx.stats;
    assert.equal(s.droppedEmpty, 1);
    assert.equal(s.droppedOversize, 1);
    assert.equal(s.frames, 3);
    await rx.close();
    assert.throws(() => rx.address(), { code: 'SMGW_LMN_STATE' });
  });

  it('a burst arrives in few batches, each at most maxBatch frames; a throwing handler is counted, not fatal', async () => {
    const n = 200;
    const c = collect(n);
    let calls = 0;
    const rx = new UdpRadioReceiver({
      host: '127.0.0.1',
      port: 0,
      maxBatch: 64,
      onFrames: (f) => {
        calls++;
        c.onFrames(f);
        if (calls === 1) throw new Error('handler bug');
      },
    });
    const { port } = await rx.listen();
    const s = createSocket('udp4');
    for (let i = 0; i < n; i++) s.send(Uint8Array.of(i & 0xff, i >> 8), port, '127.0.0.1');
    await c.done;
    s.close();
    assert.ok(c.batches.every((b) => b.length <= 64));
    assert.ok(c.batches.length < n, `batched: ${c.batches.length} batches for ${n} frames`);
    assert.equal(rx.stats.handlerErrors, 1);
    await rx.close();
  });

  it('binding a taken port rejects; close is idempotent', async () => {
    const a = new UdpRadioReceiver({ host: '127.0.0.1', port: 0, onFrames: () => {} });
    const { port } = await a.listen();
    const b = new UdpRadioReceiver({ host: '127.0.0.1', port, onFrames: () => {} });
    await assert.rejects(b.listen(), { code: 'EADDRINUSE' });
    await a.close();
    await a.close();
    await b.close();
    // the port is free again
    const c = new UdpRadioReceiver({ host: '127.0.0.1', port, onFrames: () => {} });
    await c.listen();
    await c.close();
  });

  it('end to end: mode-7 telegrams sent as datagrams are stored through the ingest', async () => {
    const store = new FakeStore();
    const clock = new FakeClock('2026-11-27T10:00:00Z');
    const ingest = new WmbusIngest({ store: store.asStore(), events: new FakeEventLog(), clock, statusWord: () => 0 });
    ingest.reloadProfiles([wmbusProfile('12345678', 'gas', ['0700030000ff'])]);
    const results: IngestResult[] = [];
    const rx = new UdpRadioReceiver({
      host: '127.0.0.1',
      port: 0,
      clock,
      onFrames: (frames) => results.push(...ingest.handleBatch(frames)),
    });
    const { port } = await rx.listen();
    const frames = [1, 2, 3].map((counter) =>
      telegram({
        serial: '12345678',
        medium: 'gas',
        counter,
        records: [{ dataField: 0xc, vif: '13', value: counter }],
      }),
    );
    await sendAll(port, [...frames, frames[0] as Uint8Array]);
    const deadline = Date.now() + 5000;
    while (results.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(results, ['stored', 'stored', 'stored', 'SMGW_LMN_REPLAY']);
    assert.deepEqual(
      store.readings.map((r) => [r.value, r.scaler, r.captureTimeMs]),
      [1, 2, 3].map((n) => [String(n * 1000), -3, clock.now()]),
    );
    await rx.close();
  });
});
