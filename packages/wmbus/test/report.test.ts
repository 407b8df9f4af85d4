import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { encodeTelegramFrames } from '../src/encode.js';
import { decodeToJsonLine, decodeToReport, stringifyReport } from '../src/report.js';
import { DecoderState } from '../src/telegram.js';

const N21 = '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';
const N21_KEY = fromHex('0102030405060708090A0B0C0D0E0F11');
const MODE7 =
  '434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93';

describe('decodeToReport: the CLI contract object', () => {
  it('has the contract members in the contract order', () => {
    const r = decodeToReport(fromHex(N21), { key: N21_KEY });
    assert.deepEqual(Object.keys(r), [
      'ok',
      'manufacturer',
      'id',
      'version',
      'deviceType',
      'medium',
      'accessNumber',
      'security',
      'records',
    ]);
    assert.equal(r.ok, true);
    assert.deepEqual(
      [r.manufacturer, r.id, r.version, r.deviceType, r.medium, r.accessNumber],
      ['ELS', '12345678', 0x33, 3, 'gas', 0x2a],
    );
    assert.deepEqual(r.security, { mode: 5, decrypted: true, mac: 'absent' });
    assert.ok(r.records.length >= 3);
    for (const rec of r.records) {
      assert.deepEqual(Object.keys(rec), [
        'dif',
        'vif',
        'storage',
        'tariff',
        'subunit',
        'function',
        'quantity',
        'unit',
        'value',
      ]);
    }
    assert.ok(r.records.some((rec) => rec.unit === 'm3' && rec.value === 28504.27));
  });

  it('accepts hex with separators', () => {
    assert.equal(decodeToReport(`${N21.slice(0, 20)}_${N21.slice(20)}`, { key: N21_KEY }).ok, true);
  });

  it('on error: ok false, the error code and message, and the header decoded before it', () => {
    const r = decodeToReport(N21);
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'SMGW_WMBUS_NO_KEY');
    assert.match(r.error?.message ?? '', /no key/);
    assert.deepEqual([r.manufacturer, r.id, r.accessNumber], ['ELS', '12345678', 0x2a]);
    assert.deepEqual(r.security, { mode: 5, decrypted: false, mac: 'absent' });
    assert.deepEqual(r.records, []);
    assert.deepEqual(Object.keys(r).slice(0, 3), ['ok', 'error', 'manufacturer']);
  });

  it('reports mac "verified", and "failed" with SMGW_WMBUS_MAC', () => {
    const key = fromHex('000102030405060708090A0B0C0D0E0F');
    assert.equal(decodeToReport(MODE7, { key }).security.mac, 'verified');
    const r = decodeToReport(MODE7.replace('21924D4F2F', '21924D4F3F'), { key });
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'SMGW_WMBUS_MAC');
    assert.match(r.error?.message ?? '', /wrong key, or counter\/ID mismatch/);
    assert.deepEqual(r.security, { mode: 7, decrypted: false, mac: 'failed' });
  });

  it('a wrong key says so, and suggests the reversed key when that works', () => {
    const r = decodeToReport(N21, { key: fromHex('110F0E0D0C0B0A090807060504030201') });
    assert.equal(r.error?.code, 'SMGW_WMBUS_DECRYPT');
    assert.match(r.error?.message ?? '', /wrong key; the byte-reversed key decrypts it/);
  });

  it('never throws: bad hex, empty input, garbage', () => {
    assert.equal(decodeToReport('12G4').error?.code, 'SMGW_CORE_BAD_HEX');
    assert.equal(decodeToReport(new Uint8Array(0)).error?.code, 'SMGW_WMBUS_TRUNCATED');
    const r = decodeToReport(fromHex('FFFFFFFFFFFFFFFFFFFFFFFF'));
    assert.equal(r.ok, false);
    assert.equal(r.security.mode, null);
  });

  it('adds explain and fragment only when they apply', () => {
    const withExplain = decodeToReport(N21, { key: N21_KEY, explain: true });
    assert.ok(Array.isArray(withExplain.explain) && withExplain.explain.length > 10);
    assert.equal('explain' in decodeToReport(N21, { key: N21_KEY }), false);
    const failed = decodeToReport(N21, { explain: true });
    assert.ok(failed.explain?.some((e) => e.layer === 'tpl'));

    const key = fromHex('000102030405060708090A0B0C0D0E0F');
    const [f1, f2] = encodeTelegramFrames({
      format: 'stripped',
      address: { manufacturer: 'ELS', id: '12345678', version: 1, deviceType: 7 },
      afl: { counter: 3, fragmentSize: 16 },
      tpl: { ci: 0x7a, mode: 7 },
      apl: fromHex('0C1327048502'),
      key,
    }) as [Uint8Array, Uint8Array];
    const state = new DecoderState();
    const p = decodeToReport(f1, { key, state });
    assert.equal(p.ok, true);
    assert.deepEqual(p.fragment, { id: 1, complete: false });
    assert.equal(p.security.mode, null);
    const done = decodeToReport(f2, { key, state });
    assert.deepEqual(done.fragment, { id: 2, complete: true });
    assert.equal(done.security.mac, 'verified');
  });

  it('keeps the records before trailing bytes that are no record, and warns about them', () => {
    // OMS Annex N plaintext records with a stray DD appended (real meters do this).
    const r = decodeToReport('224493157856341233037A2A0000002F2F0C1427048502046D32371F1502FD170000DD');
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.records.map((x) => x.value),
      [28504.27, '2008-05-31T23:50', 0],
    );
    assert.equal(r.warnings?.length, 1);
    assert.equal(r.warnings?.[0]?.code, 'SMGW_WMBUS_TRUNCATED');
    assert.equal('warnings' in decodeToReport(N21, { key: N21_KEY }), false);
  });
});

describe('stringifyReport', () => {
  it('writes exactly JSON.stringify(report) for every corpus telegram, with and without explain; so does decodeToJsonLine', () => {
    const lines = readFileSync(new URL('./fixtures/wmbusmeters-cases.jsonl', import.meta.url), 'utf8').split('\n');
    const state = new DecoderState();
    const state2 = new DecoderState(); // the same telegrams in the same order: the same meter state
    let n = 0;
    for (const line of lines) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as { telegram: string; telegrams?: string[]; key: string | null };
      for (const t of c.telegrams ?? [c.telegram]) {
        for (const explain of [false, true]) {
          const options = { key: c.key ? fromHex(c.key) : null, explain, simulatedPlaintext: true };
          const r = decodeToReport(t, { ...options, state });
          assert.equal(stringifyReport(r), JSON.stringify(r));
          assert.equal(decodeToJsonLine(t, { ...options, state: state2 }), JSON.stringify(r));
          n++;
        }
      }
    }
    assert.ok(n > 600);
  });
});
