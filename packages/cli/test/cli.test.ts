/** The `smgw` command's contract: help, exit codes, JSONL streaming, SML output. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../src/program.js';
import { runCli } from './run-cli.js';

const N21 = '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3';
const N21_KEY = '0102030405060708090A0B0C0D0E0F11';
const smlFixtures = join(dirname(fileURLToPath(import.meta.url)), '../../sml/test/fixtures');
const wmbusFixtures = join(dirname(fileURLToPath(import.meta.url)), '../../wmbus/test/fixtures');

describe('smgw: help and usage errors', () => {
  for (const args of [[], ['wmbus', 'decode'], ['pki', 'init']]) {
    it(`--help on "${['smgw', ...args].join(' ')}" exits 0 and shows usage`, async () => {
      const r = await runCli([...args, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: smgw/);
    });
  }
  it('every command in the tree has a description and a help text (checked in-process)', () => {
    const walk = (c: Command, path: string[]): string[] => [
      path.join(' '),
      ...c.commands.flatMap((sub) => walk(sub, [...path, sub.name()])),
    ];
    const program = buildProgram();
    const all = walk(program, ['smgw']);
    for (const expected of [
      'smgw wmbus decode',
      'smgw sml decode',
      'smgw pki init',
      'smgw pki lint',
      'smgw pki verify',
      'smgw cms seal',
      'smgw cms open',
      'smgw cms print',
      'smgw wakeup sign',
      'smgw wakeup verify',
    ]) {
      assert.ok(all.includes(expected), `${expected} is registered`);
    }
    const check = (c: Command, path: string): void => {
      assert.ok(c.description().length > 10, `${path} has a description`);
      assert.match(c.helpInformation(), /^Usage: /, `${path} has help`);
      for (const sub of c.commands) check(sub, `${path} ${sub.name()}`);
    };
    check(program, 'smgw');
  });
  it('an unknown option is a usage error (exit 2)', async () => {
    const r = await runCli(['wmbus', 'decode', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option/);
  });
  it('bad hex is a usage error (exit 2)', async () => {
    const r = await runCli(['wmbus', 'decode', 'zz']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a hex digit/);
  });
  it('an unreadable SML file is exit 3', async () => {
    const r = await runCli(['sml', 'decode', '/nonexistent/capture.bin']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot read/);
  });
});

describe('smgw wmbus decode', () => {
  it('decodes one telegram with a key to one JSON object (exit 0)', async () => {
    const r = await runCli(['wmbus', 'decode', '--key', N21_KEY, N21]);
    assert.equal(r.code, 0);
    const o = JSON.parse(r.stdout);
    assert.equal(o.ok, true);
    assert.equal(o.manufacturer, 'ELS');
    assert.equal(o.id, '12345678');
    assert.deepEqual(o.security, { mode: 5, decrypted: true, mac: 'absent' });
    assert.equal(o.records[0].value, 28504.27);
    assert.equal(o.records[0].unit, 'm3');
  });
  it('exits 1 with ok:false and a stable code when the telegram cannot be decoded', async () => {
    const r = await runCli(['wmbus', 'decode', N21]);
    assert.equal(r.code, 1);
    const o = JSON.parse(r.stdout);
    assert.equal(o.ok, false);
    assert.equal(o.error.code, 'SMGW_WMBUS_NO_KEY');
    assert.equal(o.id, '12345678');
  });
  it('--explain adds the byte-by-byte account', async () => {
    const r = await runCli(['wmbus', 'decode', '--explain', '--key', N21_KEY, N21]);
    const o = JSON.parse(r.stdout);
    assert.ok(Array.isArray(o.explain));
    for (const layer of ['dll', 'tpl', 'apl'])
      assert.ok(
        o.explain.some((e: { layer: string }) => e.layer === layer),
        layer,
      );
  });
  it('--jsonl answers every request in order, one line each, and exits 0 even on failures', async () => {
    const input = [
      JSON.stringify({ telegram: N21, key: N21_KEY }),
      'not json',
      JSON.stringify({ telegram: 'zz', key: null }),
      JSON.stringify({ telegram: N21, key: null }),
      '',
      JSON.stringify({ telegrams: ['00', N21], key: N21_KEY }),
      JSON.stringify({ telegram: `${N21.slice(0, 10)}_${N21.slice(10)}`, key: N21_KEY }),
    ].join('\n');
    const r = await runCli(['wmbus', 'decode', '--jsonl'], input);
    assert.equal(r.code, 0);
    const out = r.lines.map((l) => JSON.parse(l));
    assert.equal(out.length, 6, 'blank lines are not requests');
    assert.equal(out[0].ok, true);
    assert.equal(out[1].ok, false);
    assert.equal(out[1].error.code, 'SMGW_CORE_BAD_ARGUMENT');
    assert.equal(out[2].error.code, 'SMGW_CORE_BAD_HEX');
    assert.equal(out[3].error.code, 'SMGW_WMBUS_NO_KEY');
    assert.equal(out[4].ok, true, 'answers for the last telegram of "telegrams"');
    assert.equal(out[5].ok, true, 'separators in hex are ignored');
  });
  it('--jsonl answers the same with decode workers as in the main thread, meter state included', async () => {
    // The corpus holds compact frames whose format an earlier telegram of the same meter taught:
    // sharding by meter must keep that working, and order must survive the workers.
    const corpus = readFileSync(join(wmbusFixtures, 'wmbusmeters-cases.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { telegram: string; telegrams?: string[]; key: string | null });
    const split = corpus.flatMap((c) =>
      (c.telegrams ?? [c.telegram]).map((t) => JSON.stringify({ telegram: t, key: c.key })),
    );
    const input = `${split.join('\n')}\n`;
    const inMain = await runCli(['wmbus', 'decode', '--jsonl', '--simulated-plaintext', '--workers', '0'], input);
    const inWorkers = await runCli(['wmbus', 'decode', '--jsonl', '--simulated-plaintext', '--workers', '3'], input);
    assert.equal(inMain.code, 0);
    assert.equal(inWorkers.code, 0, inWorkers.stderr);
    assert.equal(inMain.lines.length, split.length);
    assert.equal(inWorkers.stdout, inMain.stdout);
    assert.ok(inMain.lines.some((l) => l.includes('"ok":true') && /"vif":"[0-9A-F]+"/.test(l)));
  });
  it('answers an overlong line (> 1 MiB) with an error in its place, without holding it in memory', async () => {
    const good = JSON.stringify({ telegram: N21, key: N21_KEY });
    const huge = `{"telegram":"${'00'.repeat(1_500_000)}","key":null}`;
    for (const workers of ['0', '2']) {
      const r = await runCli(
        ['wmbus', 'decode', '--jsonl', '--workers', workers],
        `${good}\n${huge}\n${good}\n${huge}`,
      );
      assert.equal(r.code, 0, r.stderr);
      const out = r.lines.map((l) => JSON.parse(l));
      assert.deepEqual(
        out.map((o) => o.ok),
        [true, false, true, false],
      );
      assert.match(out[1].error.message, /longer than 1 MiB/);
    }
  });
  it('stops quietly when the reader closes the pipe early (smgw ... | head)', async () => {
    const input = `${Array.from({ length: 3000 }, () => JSON.stringify({ telegram: N21, key: N21_KEY })).join('\n')}\n`;
    const r = await runCli(['wmbus', 'decode', '--jsonl'], input, { closeStdoutAfterFirstChunk: true });
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
  });
  it('--workers takes auto or a number (exit 2 otherwise)', async () => {
    const r = await runCli(['wmbus', 'decode', '--jsonl', '--workers', 'many'], '');
    assert.equal(r.code, 2);
  });
  it('--jsonl rejects a telegram argument as well (exit 2)', async () => {
    const r = await runCli(['wmbus', 'decode', '--jsonl', N21]);
    assert.equal(r.code, 2);
  });
});

describe('smgw sml decode', () => {
  it('prints one JSON object per transport frame with OBIS values in Wh', async () => {
    const r = await runCli(['sml', 'decode', join(smlFixtures, 'EMH_eHZ361L5R.bin')]);
    assert.equal(r.code, 0);
    const frames = r.lines.map((l) => JSON.parse(l));
    assert.ok(frames.length >= 1);
    frames.forEach((f, i) => {
      assert.equal(f.index, i);
    });
    const v = frames[0].values.find((x: { obis: string }) => x.obis === '1-0:2.8.1*255');
    assert.deepEqual([v.value, v.unit], [110340315.1, 'Wh']);
  });
  it('reads stdin with "-"', async () => {
    const r = await runCli(['sml', 'decode', '-'], 'garbage only');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
  });
});
