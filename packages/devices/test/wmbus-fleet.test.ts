import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock, fromHex } from '@opensmgw/core';
import { DecoderState, decodeTelegram } from '@opensmgw/wmbus';
import fc from 'fast-check';
import { FileCounterStore } from '../src/counter-store.js';
import { DevicesError } from '../src/errors.js';
import type { RadioSender } from '../src/radio.js';
import { JsonlSentLog } from '../src/sent-log.js';
import type { SentValue } from '../src/sent-value.js';
import { type FleetConfig, generateTelegrams, parseFleetConfig, WmbusFleet } from '../src/wmbus-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'smgw-devices-fleet-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = {
  meters: [
    { manufacturer: 'EMH', serial: '00000001', medium: 'electricity', keyHex: '11'.repeat(16), intervalSeconds: 60 },
    { manufacturer: 'ELS', serial: '00000002', medium: 'gas', keyHex: '22'.repeat(16), intervalSeconds: 120 },
    { manufacturer: 'DME', serial: '00000003', medium: 'water', keyHex: '33'.repeat(16), intervalSeconds: 60 },
    { manufacturer: 'KAM', serial: '00000004', medium: 'heat', keyHex: '44'.repeat(16), intervalSeconds: 300 },
  ],
};

/** A radio that records when each frame "went out" and whether the log already had it then. */
class RecordingRadio implements RadioSender {
  readonly frames: { frame: Uint8Array; at: number; logLinesBefore: number }[] = [];
  constructor(
    private readonly clock: FakeClock,
    private readonly logFile?: string,
  ) {}
  async send(frame: Uint8Array): Promise<void> {
    const lines = this.logFile === undefined ? 0 : logLines(this.logFile).length;
    this.frames.push({ frame, at: this.clock.now(), logLinesBefore: lines });
  }
  async close(): Promise<void> {}
}

function logLines(file: string): SentValue[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SentValue);
  } catch {
    return [];
  }
}

/** Lets the fleet's send promises settle between clock steps. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('parseFleetConfig', () => {
  it('reads a valid configuration', () => {
    const c = parseFleetConfig(JSON.stringify(CONFIG));
    assert.equal(c.meters.length, 4);
    assert.deepEqual(c.meters[1], CONFIG.meters[1]);
  });

  it('refuses hostile files with SMGW_DEV_BAD_CONFIG naming the path, never the key', () => {
    const m0 = CONFIG.meters[0];
    const cases: unknown[] = [
      null,
      [],
      {},
      { meters: [] },
      { meters: {} },
      { meters: [m0], extra: 1 },
      { meters: [{ ...m0, keyHex: 'zz'.repeat(16) }] },
      { meters: [{ ...m0, keyHex: '11'.repeat(15) }] },
      { meters: [{ ...m0, manufacturer: 'emh' }] },
      { meters: [{ ...m0, serial: '123456789' }] },
      { meters: [{ ...m0, medium: 'steam' }] },
      { meters: [{ ...m0, medium: '__proto__' }] },
      { meters: [{ ...m0, intervalSeconds: 0 }] },
      { meters: [{ ...m0, intervalSeconds: 1.5 }] },
      { meters: [{ ...m0, intervalSeconds: '60' }] },
      { meters: [{ ...m0, counterStart: 2 ** 32 }] },
      { meters: [{ ...m0, header: 'medium' }] },
      { meters: [{ ...m0, __proto__: { x: 1 }, evil: true }] },
      { meters: [m0, m0] },
    ];
    for (const c of cases) {
      assert.throws(
        () => parseFleetConfig(JSON.stringify(c)),
        (e: unknown) =>
          e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_CONFIG' && !e.message.includes('1111111111'),
        JSON.stringify(c),
      );
    }
    assert.throws(
      () => parseFleetConfig('{"meters": ['),
      (e: unknown) => e instanceof DevicesError,
    );
    assert.throws(
      () => parseFleetConfig(' '.repeat((16 << 20) + 1)),
      (e: unknown) => e instanceof DevicesError,
    );
  });

  it('property: any JSON or text is a configuration or SMGW_DEV_BAD_CONFIG', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ meters: [v] })),
        ),
        (t) => {
          try {
            parseFleetConfig(t);
          } catch (e) {
            assert.ok(e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_CONFIG', String(e));
          }
        },
      ),
    );
  });
});

describe('WmbusFleet', () => {
  it('sends each meter on its own jittered schedule, logs each value after its datagram, and stops after N rounds', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 20, 7, 0, 0));
    const logFile = join(dir, 'sent.jsonl');
    const radio = new RecordingRadio(clock, logFile);
    const config: FleetConfig = parseFleetConfig(JSON.stringify(CONFIG));
    const sentEvents: string[] = [];
    const fleet = new WmbusFleet({
      config,
      radio,
      clock,
      seed: 5,
      rounds: 3,
      sentLog: new JsonlSentLog(logFile),
      onSent: (s) => sentEvents.push(`${s.meterId}#${s.counter}`),
    });
    let finished = false;
    void fleet.done.then(() => {
      finished = true;
    });
    fleet.start();
    for (let t = 0; t < 3 * 330_000 && !finished; t += 1000) {
      clock.advance(1000);
      await settle();
    }
    assert.equal(finished, true);
    assert.equal(radio.frames.length, 12);
    // every meter: counters 1, 2, 3; telegrams about one interval apart (± 10 %), first within 2 s
    const start = Date.UTC(2026, 0, 20, 7, 0, 0);
    for (const [i, m] of config.meters.entries()) {
      const mine = radio.frames.filter(
        (f) => f.frame[4] === fromHex(m.serial.match(/../g)?.reverse().join('') ?? '')[0],
      );
      assert.equal(mine.length, 3, m.serial);
      const t = mine.map((f) => decodeTelegram(f.frame, { key: fromHex(m.keyHex), state: new DecoderState() }));
      assert.deepEqual(
        t.map((x) => x.afl?.counter),
        [1, 2, 3],
      );
      assert.ok((mine[0]?.at ?? 0) - start <= 2000, `meter ${i} starts within the spread`);
      for (let k = 1; k < 3; k++) {
        const gap = (mine[k]?.at ?? 0) - (mine[k - 1]?.at ?? 0);
        assert.ok(gap >= m.intervalSeconds * 900 - 1 && gap <= m.intervalSeconds * 1100 + 1, `gap ${gap}`);
      }
    }
    // the first telegrams did not all go out at once
    assert.ok(new Set(radio.frames.slice(0, 4).map((f) => f.at)).size > 1);
    // log lines: 2 + 1 + 1 + 2 values per round; each frame was sent before its lines were appended
    const lines = logLines(logFile);
    assert.equal(lines.length, 3 * 6);
    let logged = 0;
    const decodedValues: string[] = [];
    for (const f of radio.frames) {
      assert.ok(f.logLinesBefore <= logged, 'the log has no line of a datagram not yet sent');
      const m = CONFIG.meters.find((x) => f.frame[4] === Number.parseInt(x.serial.slice(6), 16));
      const t = decodeTelegram(f.frame, { key: fromHex(m?.keyHex ?? '') });
      for (const r of t.records) decodedValues.push(`${m?.manufacturer}-${m?.serial} ${t.afl?.counter} ${r.unit}`);
      logged += t.records.length;
    }
    // one line per value, in the order the datagrams went out
    assert.deepEqual(
      lines.map((l) => `${l.meterId} ${l.counter} ${l.unit}`),
      decodedValues,
    );
    assert.equal(sentEvents.length, 12);
    assert.equal(clock.pendingTimers, 0);
  });

  it('keeps counters in the state file across fleet restarts; stop() ends a running fleet', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 20));
    const state = join(dir, 'fleet-state.json');
    const run = async (rounds: number) => {
      const radio = new RecordingRadio(clock);
      const fleet = new WmbusFleet({
        config: parseFleetConfig(JSON.stringify({ meters: [CONFIG.meters[0]] })),
        radio,
        clock,
        rounds,
        counterStore: new FileCounterStore(state),
      });
      fleet.start();
      for (let i = 0; i < rounds * 70; i++) {
        clock.advance(1000);
        await settle();
      }
      await fleet.done;
      return radio.frames.map((f) => decodeTelegram(f.frame, { key: fromHex('11'.repeat(16)) }).afl?.counter);
    };
    assert.deepEqual(await run(2), [1, 2]);
    assert.deepEqual(await run(2), [3, 4]);
    // stop() in the middle of an endless run
    const radio = new RecordingRadio(clock);
    const fleet = new WmbusFleet({
      config: parseFleetConfig(JSON.stringify(CONFIG)),
      radio,
      clock,
    });
    fleet.start();
    clock.advance(5000);
    await settle();
    await fleet.stop();
    await fleet.done;
    assert.equal(radio.frames.length, 4);
    assert.equal(clock.pendingTimers, 0);
  });

  it('reports a failing radio and goes on; a meter whose counter cannot be stored stops', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 20));
    let calls = 0;
    const radio: RadioSender = {
      send: async () => {
        calls++;
        if (calls === 1) throw new DevicesError('SMGW_DEV_IO', 'network down');
      },
      close: async () => {},
    };
    const errors: string[] = [];
    const sent: number[] = [];
    const fleet = new WmbusFleet({
      config: parseFleetConfig(JSON.stringify({ meters: [CONFIG.meters[0]] })),
      radio,
      clock,
      rounds: 2,
      onError: (id, e) => errors.push(`${id} ${e.code}`),
      onSent: (s) => sent.push(s.counter),
    });
    fleet.start();
    for (let i = 0; i < 140; i++) {
      clock.advance(1000);
      await settle();
    }
    await fleet.done;
    assert.deepEqual(errors, ['EMH-00000001 SMGW_DEV_IO']);
    assert.deepEqual(sent, [2]);

    const broken = new WmbusFleet({
      config: parseFleetConfig(JSON.stringify({ meters: [CONFIG.meters[0]] })),
      radio,
      clock,
      counterStore: new FileCounterStore(join(dir, 'no-such-dir', 'state.json')),
      onError: (id, e) => errors.push(`${id} ${e.code}`),
    });
    broken.start();
    clock.advance(3000);
    await broken.done;
    assert.equal(errors.at(-1), 'EMH-00000001 SMGW_DEV_BAD_STATE');
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('generateTelegrams', () => {
  it('is deterministic, and every frame decodes with its profile key in counter order', () => {
    const a = generateTelegrams({ meters: 40, telegramsPerMeter: 3, seed: 9 });
    const b = generateTelegrams({ meters: 40, telegramsPerMeter: 3, seed: 9 });
    assert.equal(a.frames.length, 120);
    assert.deepEqual(a.frames, b.frames);
    assert.deepEqual(a.profiles, b.profiles);
    assert.deepEqual(new Set(a.profiles.map((p) => p.medium)), new Set(['electricity', 'gas', 'water', 'heat']));
    const state = new DecoderState();
    a.frames.forEach((f, i) => {
      const p = a.profiles[i % 40];
      const t = decodeTelegram(f, { key: fromHex(p?.keyHex ?? ''), state });
      assert.equal(t.security.mac, 'verified');
      assert.equal(t.meter?.id, p?.serial);
      assert.equal(t.afl?.counter, Math.floor(i / 40) + 1);
    });
  });

  it('makes telegrams of 10,000 meters within a few seconds', () => {
    const g = generateTelegrams({ meters: 10_000, telegramsPerMeter: 2, seed: 1 });
    assert.equal(g.frames.length, 20_000);
    assert.equal(new Set(g.profiles.map((p) => p.meterId)).size, 10_000);
    assert.ok(g.elapsedMs < 20_000, `${g.elapsedMs} ms`);
    console.log(`generateTelegrams: 10,000 meters x 2 telegrams in ${Math.round(g.elapsedMs)} ms`);
  });
});
