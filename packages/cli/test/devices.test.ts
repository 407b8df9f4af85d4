/** `smgw devices ...` end to end: real UDP sockets and an LMN TLS server started here. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex, systemClock } from '@opensmgw/core';
import { parseFleetConfig, type SentValue } from '@opensmgw/devices';
import { createProfileServer, initTestPki, lmnServerProfile, openEntityModule } from '@opensmgw/security';
import { decodeSmlFile, SmlTransportSplitter } from '@opensmgw/sml';
import { DecoderState, decodeTelegram } from '@opensmgw/wmbus';
import type { Command } from 'commander';
import { buildProgram } from '../src/program.js';
import { cliArgv, runCli } from './run-cli.js';

let dir: string;
let pki: string;
const file = (name: string) => join(dir, name);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-devices-cli-'));
  pki = join(dir, 'pki');
  await initTestPki(pki);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function udpReceiver(): Promise<{ socket: Socket; port: number; frames: Buffer[] }> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const frames: Buffer[] = [];
  socket.on('message', (m: Buffer) => frames.push(m));
  return { socket, port: (socket.address() as AddressInfo).port, frames };
}

/** Runs the CLI until it printed `lines` "sent" lines, then sends SIGTERM; resolves at exit. */
function runUntilSignal(
  args: readonly string[],
  lines: number,
): Promise<{ code: number | null; stderr: string; sentLines: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(args), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!signalled && stdout.split('\n').filter((l) => l.startsWith('sent ')).length >= lines) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stderr, sentLines: stdout.split('\n').filter((l) => l.startsWith('sent ')).length }),
    );
  });
}

const sentLines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SentValue);

describe('smgw devices', () => {
  it('has help with a description and examples for every subcommand (in-process)', () => {
    const devices = buildProgram().commands.find((c) => c.name() === 'devices') as Command;
    for (const name of ['wmbus-meters', 'sml-meter', 'radio-send', 'example-config']) {
      const cmd = devices.commands.find((c) => c.name() === name) as Command;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, new RegExp(`^Usage: smgw devices ${name} `));
      assert.ok(cmd.description().length > 100, name);
      assert.match(help, /\nExamples:\n {2}smgw devices /, name);
    }
  });

  it('example-config prints a valid fleet with fresh keys; wmbus-meters sends, logs and keeps counters across runs', async () => {
    const ex = await runCli(['devices', 'example-config', '--meters', '4', '--interval', '1']);
    assert.equal(ex.code, 0, ex.stderr);
    const config = parseFleetConfig(ex.stdout);
    assert.equal(config.meters.length, 4);
    assert.equal(new Set(config.meters.map((m) => m.keyHex)).size, 4);
    assert.deepEqual(
      config.meters.map((m) => m.medium),
      ['electricity', 'gas', 'water', 'heat'],
    );
    writeFileSync(file('meters.json'), ex.stdout);

    const rx = await udpReceiver();
    const args = [
      'devices',
      'wmbus-meters',
      '--config',
      file('meters.json'),
      '--radio',
      `udp://127.0.0.1:${rx.port}`,
      '--state',
      file('state.json'),
      '--sent-log',
      file('sent.jsonl'),
      '--count',
      '2',
    ];
    const r1 = await runCli(args);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.lines.filter((l) => l.startsWith('sent ')).length, 8);
    assert.match(r1.stdout, /sent EMH-\d{8} counter 1 energy \d+ Wh power \d+ W/);
    // a second run without --count, ended by SIGTERM once each meter sent once more
    const r2 = await runUntilSignal(args.slice(0, -2), 4);
    assert.equal(r2.code, 0, r2.stderr);
    const expected = 8 + r2.sentLines;
    // the datagrams (UDP on loopback: all of them arrive here)
    for (let i = 0; i < 100 && rx.frames.length < expected; i++) await new Promise((r) => setTimeout(r, 10));
    rx.socket.close();
    assert.equal(rx.frames.length, expected);
    const state = new DecoderState();
    const counters = new Map<string, number[]>();
    const decoded: string[] = [];
    for (const f of rx.frames) {
      const serial = Buffer.from(f.subarray(4, 8)).reverse().toString('hex');
      const m = config.meters.find((x) => x.serial === serial);
      assert.ok(m, serial);
      const t = decodeTelegram(new Uint8Array(f), { key: fromHex(m.keyHex), state });
      assert.equal(t.security.mac, 'verified');
      const id = `${m.manufacturer}-${m.serial}`;
      counters.set(id, [...(counters.get(id) ?? []), t.afl?.counter ?? -1]);
      for (const rec of t.records) decoded.push(`${id} ${t.afl?.counter} ${rec.unit}`);
    }
    // counters go on across the runs: 1, 2, 3, ... without a gap or repeat
    for (const c of counters.values()) {
      assert.ok(c.length >= 3);
      assert.deepEqual(
        c,
        c.map((_, i) => i + 1),
      );
    }
    const log = sentLines(file('sent.jsonl'));
    assert.deepEqual(log.map((s) => `${s.meterId} ${s.counter} ${s.unit}`).sort(), decoded.sort());
  });

  it('radio-send sends a raw frame as one datagram', async () => {
    const rx = await udpReceiver();
    const hex =
      '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A';
    const r = await runCli(['devices', 'radio-send', '--radio', `udp://127.0.0.1:${rx.port}`, '--hex', hex]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, [`sent 55 bytes to udp://127.0.0.1:${rx.port}`]);
    for (let i = 0; i < 100 && rx.frames.length < 1; i++) await new Promise((res) => setTimeout(res, 10));
    rx.socket.close();
    assert.equal(rx.frames[0]?.toString('hex').toUpperCase(), hex);
  });

  it('refuses a hostile configuration (exit 1, the path of the bad field)', async () => {
    writeFileSync(file('bad.json'), '{"meters":[{"manufacturer":"EMH","serial":"1","medium":"gas"}]}');
    const r = await runCli(['devices', 'wmbus-meters', '--config', file('bad.json'), '--count', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: SMGW_DEV_BAD_CONFIG: \$\.meters\[0\]\.serial/);
  });

  it('sml-meter pushes SML files to the LMN TLS port; the gateway side decodes what the sent log says', async () => {
    const gw = await openEntityModule(pki, 'gateway', { persist: 'manual' });
    const key = await gw.tlsKey('lmn-tls');
    await gw.close();
    const received: string[] = [];
    const server = createProfileServer(
      lmnServerProfile({
        key,
        certificates: readFileSync(join(pki, 'gateway/lmn-tls.crt.pem'), 'utf8'),
        trust: { kind: 'pinned', certificates: [readFileSync(join(pki, 'meter-1/lmn-tls.crt.pem'), 'utf8')] },
        clock: systemClock,
      }),
      {
        onConnection: (socket) => {
          socket.on('error', () => {});
          const splitter = new SmlTransportSplitter();
          socket.on('data', (chunk: Buffer) => {
            for (const ev of splitter.push(new Uint8Array(chunk))) {
              if (ev.kind !== 'frame') continue;
              for (const m of decodeSmlFile(ev.file).messages) {
                if (m.body.kind !== 'GetListResponse') continue;
                for (const e of m.body.valList) {
                  const v = e.value;
                  received.push(`${Buffer.from(e.objName).toString('hex')} ${'value' in v ? String(v.value) : '?'}`);
                }
              }
            }
          });
        },
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const r = await runCli([
      'devices',
      'sml-meter',
      '--pki',
      pki,
      '--meter-id',
      'EMH-0000000001',
      '--gateway',
      `127.0.0.1:${port}`,
      '--interval',
      '1',
      '--count',
      '2',
      '--sent-log',
      file('sml.jsonl'),
    ]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.lines.includes('EMH-0000000001 connected (full TLS handshake)'), r.stdout);
    assert.equal(
      r.lines.filter((l) => /^sent EMH-0000000001 file [12] energy \d+e-1 Wh power \d+ W$/.test(l)).length,
      2,
    );
    const log = sentLines(file('sml.jsonl'));
    assert.deepEqual(
      log.map((s) => `${s.obis} ${s.value}`),
      received,
    );
  });
});
