import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromHex, isSmgwError } from '@opensmgw/core';
import { DecoderState, decodeTelegram } from '@opensmgw/wmbus';
import fc from 'fast-check';
import { MEDIA, type Medium } from '../src/consumption.js';
import { COUNTER_STATE_FORMAT, FileCounterStore, parseCounterState } from '../src/counter-store.js';
import { DevicesError } from '../src/errors.js';
import type { SentValue } from '../src/sent-value.js';
import { WmbusMeterSimulator } from '../src/wmbus-meter.js';

const KEY = '000102030405060708090A0B0C0D0E0F';
const START = Date.UTC(2026, 1, 1, 6, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'smgw-devices-meter-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const meter = (medium: Medium, extra: Partial<ConstructorParameters<typeof WmbusMeterSimulator>[0]> = {}) =>
  new WmbusMeterSimulator({
    manufacturer: 'ELS',
    serial: '12345678',
    medium,
    keyHex: KEY,
    intervalSeconds: 900,
    seed: 11,
    ...extra,
  });

/** The decoded records as SentValue-like tuples (raw integer back from value / 10^scaler). */
function decodedAgainst(frame: Uint8Array, sent: readonly SentValue[], key = KEY) {
  const t = decodeTelegram(frame, { key: fromHex(key), state: new DecoderState(), manufacturerDefaultKeys: false });
  assert.equal(t.security.mode, 7);
  assert.equal(t.security.mac, 'verified');
  assert.equal(t.dll.kind === 'wireless' ? t.dll.format : '', 'A');
  assert.equal(t.dll.kind === 'wireless' ? t.dll.cField : 0, 0x44);
  assert.equal(t.records.length, sent.length);
  t.records.forEach((r, i) => {
    const s = sent[i] as SentValue;
    assert.equal(r.unit, s.unit);
    assert.equal(r.storage, 0);
    assert.equal(r.function, 'instantaneous');
    assert.equal(Math.round((r.value as number) / 10 ** s.scaler), Number(s.value), `${s.obis}`);
  });
  return t;
}

describe('WmbusMeterSimulator', () => {
  it('every medium: the telegram decodes with its key (mode 7, MAC verified) to exactly the sent values', () => {
    const expected: Record<Medium, string[]> = {
      electricity: ['0100010800ff Wh 0', '0100100700ff W 0'],
      gas: ['0700030000ff m3 -3'],
      water: ['0800010000ff m3 -3'],
      heat: ['0600010000ff Wh 3', '0600020000ff m3 -3'],
    };
    for (const medium of MEDIA) {
      for (const header of ['short', 'long'] as const) {
        const m = meter(medium, { header });
        for (let i = 0; i < 3; i++) {
          const { frame, sent, counter } = m.telegram(START + i * 900_000);
          assert.deepEqual(
            sent.map((s) => `${s.obis} ${s.unit} ${s.scaler}`),
            expected[medium],
          );
          for (const s of sent) {
            assert.equal(s.meterId, 'ELS-12345678');
            assert.equal(s.counter, counter);
            assert.match(s.value, /^[0-9]+$/);
            assert.equal(s.sentAt, new Date(START + i * 900_000).toISOString());
          }
          const t = decodedAgainst(frame, sent);
          assert.equal(t.afl?.counter, counter);
          assert.equal(t.tpl?.ci, header === 'long' ? 0x72 : 0x7a);
          assert.equal(t.meter?.manufacturer, 'ELS');
          assert.equal(t.meter?.id, '12345678');
          assert.equal(t.meter?.medium, medium === 'water' ? 'water' : medium);
          assert.equal(t.accessNumber, counter & 0xff);
        }
      }
    }
  });

  it('the wrong key fails the MAC (SMGW_WMBUS_MAC), before anything is decrypted', () => {
    const { frame } = meter('gas').telegram(START);
    assert.throws(
      () => decodeTelegram(frame, { key: fromHex('FF0102030405060708090A0B0C0D0E0F'), manufacturerDefaultKeys: false }),
      (e: unknown) => isSmgwError(e) && e.code === 'SMGW_WMBUS_MAC',
    );
  });

  it('message counters start at counterStart and grow by exactly 1 per telegram', () => {
    const m = meter('water', { counterStart: 500 });
    const counters = Array.from({ length: 20 }, (_, i) => m.telegram(START + i * 1000).counter);
    assert.deepEqual(
      counters,
      Array.from({ length: 20 }, (_, i) => 500 + i),
    );
  });

  it('the counter survives a restart through the state file, written before the frame is returned', () => {
    const file = join(dir, 'counters.json');
    const first = meter('electricity', { counterStore: new FileCounterStore(file) });
    const a = first.telegram(START);
    // on disk before anything could have been sent
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      format: COUNTER_STATE_FORMAT,
      counters: { 'ELS-12345678': a.counter },
    });
    const b = first.telegram(START + 900_000);
    assert.equal(b.counter, a.counter + 1);
    // "restart": a new simulator on the same file continues after the last counter
    const second = meter('electricity', { counterStore: new FileCounterStore(file) });
    const c = second.telegram(START + 1_800_000);
    assert.equal(c.counter, b.counter + 1);
    // ... even with a lower counterStart; a higher counterStart wins
    const third = meter('electricity', { counterStore: new FileCounterStore(file), counterStart: 1000 });
    assert.equal(third.telegram(START + 2_700_000).counter, 1000);
    // a gateway that keeps the last counter per meter accepts each of them
    decodedAgainst(c.frame, c.sent);
  });

  it('refuses a damaged or hostile state file with SMGW_DEV_BAD_STATE', () => {
    const cases = [
      'not json',
      '[]',
      '{"format":"other","counters":{}}',
      `{"format":"${COUNTER_STATE_FORMAT}","counters":[]}`,
      `{"format":"${COUNTER_STATE_FORMAT}","counters":{"ELS-1":-1}}`,
      `{"format":"${COUNTER_STATE_FORMAT}","counters":{"ELS-1":4294967296}}`,
      `{"format":"${COUNTER_STATE_FORMAT}","counters":{"ELS-1":"5"}}`,
      `{"format":"${COUNTER_STATE_FORMAT}","counters":{"../../etc":5}}`,
    ];
    cases.forEach((text, i) => {
      const file = join(dir, `bad-${i}.json`);
      writeFileSync(file, text);
      assert.throws(
        () => new FileCounterStore(file),
        (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_STATE',
        text,
      );
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseCounterState(text);
        } catch (e) {
          assert.ok(e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_STATE');
        }
      }),
    );
  });

  it('a state file that cannot be written stops the telegram (no frame with an unstored counter)', () => {
    const store = new FileCounterStore(join(dir, 'missing-dir', 'counters.json'));
    const m = meter('gas', { counterStore: store });
    assert.throws(
      () => m.telegram(START),
      (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_STATE',
    );
    assert.equal(store.last('ELS-12345678'), undefined);
  });

  it('never wraps the counter: at 2^32-1 it stops with SMGW_DEV_COUNTER_EXHAUSTED', () => {
    const m = meter('gas', { counterStart: 0xffffffff });
    assert.equal(m.telegram(START).counter, 0xffffffff);
    assert.throws(
      () => m.telegram(START + 1000),
      (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_COUNTER_EXHAUSTED',
    );
  });

  it('refuses bad options with SMGW_DEV_BAD_ARGUMENT and never names the key', () => {
    const bad = (extra: Record<string, unknown>) =>
      assert.throws(
        () => meter('gas', extra as Partial<ConstructorParameters<typeof WmbusMeterSimulator>[0]>),
        (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_ARGUMENT' && !e.message.includes('0102'),
      );
    bad({ manufacturer: 'els' });
    bad({ serial: '1234' });
    bad({ medium: 'steam' });
    bad({ keyHex: '000102030405060708090A0B0C0D0E' });
    bad({ intervalSeconds: 0 });
    bad({ counterStart: -1 });
    bad({ seed: 2 ** 32 });
  });
});
