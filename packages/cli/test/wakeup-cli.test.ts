/** `smgw wakeup sign|verify` against a test SM-PKI made once (in-process) for the file. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initTestPki } from '@opensmgw/security';
import type { Command } from 'commander';
import { buildProgram } from '../src/program.js';
import { runCli } from './run-cli.js';

const GATEWAY = 'EOSM0100000001';

let dir: string;
let pki: string;
const inPki = (rel: string) => join(pki, rel);
const file = (name: string) => join(dir, name);

const gwaKeys = () => [
  '--keystore',
  inPki('gwa/keys.smgwks'),
  '--key-file',
  inPki('gwa/keystore.key'),
  '--slot',
  'wan-sig',
];
const sign = (...args: string[]) => runCli(['wakeup', 'sign', ...gwaKeys(), ...args]);
const verify = (packet: string, args: readonly string[], input?: string) =>
  runCli(['wakeup', 'verify', packet, '--gwa-cert', inPki('gwa/sig.crt.pem'), ...args], input);

interface Decoded {
  accepted: boolean;
  gatewayId: string;
  timestamp: string;
  timestampMs: number;
  sequence: string;
  curve: string;
  hash: string;
  length: number;
}

const readState = () => JSON.parse(readFileSync(file('state.json'), 'utf8')) as Record<string, unknown>;

// One timestamp for the fresh packets: a little in the past, well inside the ±5 min window.
const time = new Date(Date.now() - 10_000);
time.setUTCMilliseconds(123);
const TIME = time.toISOString();

let hexOfSequence6 = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-wakeup-cli-'));
  pki = join(dir, 'pki');
  await initTestPki(pki, { gatewayId: GATEWAY });
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('smgw wakeup sign and verify', () => {
  it('signs two packets of one millisecond (sequence 5 to a file, sequence 6 as hex on stdout)', async () => {
    const [five, six] = await Promise.all([
      sign('--gateway-id', GATEWAY, '--time', TIME, '--sequence', '5', '--out', file('p5.bin')),
      sign('--gateway-id', GATEWAY, '--time', TIME, '--sequence', '6', '--hex', '--out', '-'),
    ]);
    assert.equal(five.code, 0, five.stderr);
    const raw = readFileSync(file('p5.bin'));
    assert.equal(raw.length, 98);
    assert.equal(raw.subarray(0, 4).toString('hex'), '57550111');
    assert.equal(raw.subarray(4, 18).toString('latin1'), GATEWAY);
    assert.match(five.stderr, new RegExp(`^signed a 98-byte wake-up packet for ${GATEWAY}, ${TIME}, sequence 5, `));
    assert.equal(six.code, 0, six.stderr);
    assert.match(six.stdout, /^57550111[0-9a-f]{188}\n$/);
    hexOfSequence6 = six.stdout;
  });

  it('verify accepts a fresh packet, prints its fields and keeps the state; the same packet again is a replay', async () => {
    const ok = await verify(file('p5.bin'), ['--gateway-id', GATEWAY, '--state', file('state.json')]);
    assert.equal(ok.code, 0, ok.stderr);
    const decoded = JSON.parse(ok.stdout) as Decoded;
    assert.deepEqual(decoded, {
      accepted: true,
      version: 1,
      gatewayId: GATEWAY,
      timestamp: TIME,
      timestampMs: Date.parse(TIME),
      sequence: '5',
      curve: 'brainpoolP256r1',
      hash: 'SHA-256',
      length: 98,
    });
    assert.deepEqual(readState(), { lastTimestampMs: Date.parse(TIME), lastSequence: '5' });

    const again = await verify(file('p5.bin'), ['--gateway-id', GATEWAY, '--state', file('state.json')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: SMGW_WAKEUP_REPLAY: /);
    assert.equal(again.stdout, '');
    // a rejected packet leaves the state as it was, and no temporary file behind
    assert.deepEqual(readState(), { lastTimestampMs: Date.parse(TIME), lastSequence: '5' });
    assert.deepEqual(readdirSync(dir).sort(), ['p5.bin', 'pki', 'state.json']);
  });

  it('the next sequence of the same millisecond, as hex on stdin, is accepted and moves the state on', async () => {
    const r = await verify('-', ['--gateway-id', GATEWAY, '--state', file('state.json')], hexOfSequence6);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Decoded).sequence, '6');
    assert.deepEqual(readState(), { lastTimestampMs: Date.parse(TIME), lastSequence: '6' });
  });

  it('rejects a packet for another gateway (exit 1) and one signed by a key that is not the GWA’s', async () => {
    const [other, foreign] = await Promise.all([
      verify(file('p5.bin'), ['--gateway-id', 'EOSM0100000002']),
      runCli(['wakeup', 'verify', file('p5.bin'), '--gateway-id', GATEWAY, '--gwa-cert', inPki('emt-1/sig.crt.pem')]),
    ]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^error: SMGW_WAKEUP_WRONG_RECIPIENT: /);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /^error: SMGW_WAKEUP_BAD_SIGNATURE: /);
  });

  it('a packet signed with an old --time is stale (exit 1) and leaves no state file', async () => {
    const old = await sign('--gateway-id', GATEWAY, '--time', '2020-01-01T00:00:00Z', '--out', file('old.bin'));
    assert.equal(old.code, 0, old.stderr);
    const r = await verify(file('old.bin'), ['--gateway-id', GATEWAY, '--state', file('fresh-state.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: SMGW_WAKEUP_STALE: wake-up packet timestamp behind the gateway clock/);
    assert.equal(existsSync(file('fresh-state.json')), false);
  });

  it('a corrupt state file is a usage error (exit 2), not an accepted packet', async () => {
    writeFileSync(file('corrupt.json'), '{"lastTimestampMs": "yesterday"}');
    const corrupt = await verify(file('p5.bin'), ['--gateway-id', GATEWAY, '--state', file('corrupt.json')]);
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr, /^error: SMGW_WAKEUP_BAD_ARGUMENT: wake-up replay state/);
    assert.equal(corrupt.stdout, '');
  });

  it('--help of sign and verify: a description and examples (in-process)', () => {
    const wakeup = buildProgram().commands.find((c) => c.name() === 'wakeup') as Command;
    for (const name of ['sign', 'verify']) {
      const cmd = wakeup.commands.find((c) => c.name() === name) as Command;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, new RegExp(`^Usage: smgw wakeup ${name} `));
      assert.ok(cmd.description().length > 100, name);
      assert.match(help, new RegExp(`\\nExamples:\\n {2}smgw wakeup ${name} `));
    }
  });
});
