/** `smgw headend gwa ...`: help, a register/queue/jobs round trip, errors, and `serve` answering a gateway. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { GwaRegistry } from '@opensmgw/headend';
import { GWA_PATHS, parseJobsResponse } from '@opensmgw/protocol';
import type { Command } from 'commander';
import { GATEWAY_ID, httpsRequest, METER, makeTestPki, type TestPki } from '../../headend/test/gwa-harness.js';
import { buildProgram } from '../src/program.js';
import { cliArgv, runCli } from './run-cli.js';

const SUBCOMMANDS = [
  'serve',
  'register',
  'add-meter',
  'set-profile',
  'add-emt',
  'renew-certificates',
  'wake',
  'jobs',
  'logs',
  'status',
];

describe('smgw headend gwa', () => {
  let pki: TestPki;
  let data: string;
  const gwa = (...args: string[]) => runCli(['headend', 'gwa', ...args, '--data', data]);

  before(async () => {
    pki = await makeTestPki('smgw-cli-gwa-');
    data = join(pki.dir, 'gwa');
  });
  after(() => pki.cleanup());

  it('--help of every subcommand: a description and examples (in-process)', () => {
    const headend = buildProgram().commands.find((c) => c.name() === 'headend') as Command;
    const group = headend.commands.find((c) => c.name() === 'gwa') as Command;
    assert.deepEqual(group.commands.map((c) => c.name()).sort(), [...SUBCOMMANDS].sort());
    for (const name of SUBCOMMANDS) {
      const cmd = group.commands.find((c) => c.name() === name) as Command;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, new RegExp(`^Usage: smgw headend gwa ${name} `), name);
      assert.ok(cmd.description().length > 40, name);
      assert.match(help, new RegExp(`\\nExamples:\\n {2}smgw headend gwa ${name}`), name);
    }
  });

  it('register, queue jobs, list them; bad input is one error line and exit 2 or 3', async () => {
    const reg = await gwa('register', '--gateway', GATEWAY_ID, '--wakeup', 'udp://127.0.0.1:9450');
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal(reg.stdout, `registered ${GATEWAY_ID}, wake-up udp://127.0.0.1:9450\n`);

    writeFileSync(join(pki.dir, 'meter.json'), JSON.stringify(METER));
    const meter = await gwa('add-meter', '--gateway', GATEWAY_ID, '--profile', join(pki.dir, 'meter.json'));
    assert.equal(meter.code, 0, meter.stderr);
    assert.equal(meter.stdout, `queued ${GATEWAY_ID}-1 set-meter-profile\n`);

    const emt = await gwa(
      'add-emt',
      '--gateway',
      GATEWAY_ID,
      '--id',
      'emt-1',
      '--url',
      'https://127.0.0.1:9443',
      '--servername',
      'emt-1.opensmgw.test',
      '--pki',
      pki.pkiDir,
      '--entity',
      'emt-1',
    );
    assert.equal(emt.code, 0, emt.stderr);
    assert.equal(emt.stdout, `queued ${GATEWAY_ID}-2 set-communication-profile\n`);

    const jobs = await gwa('jobs', '--gateway', GATEWAY_ID, '--json');
    assert.equal(jobs.code, 0, jobs.stderr);
    const list = JSON.parse(jobs.stdout) as { jobId: string; type: string; state: string }[];
    assert.deepEqual(list.map((j) => [j.jobId, j.type, j.state]).sort(), [
      [`${GATEWAY_ID}-1`, 'set-meter-profile', 'pending'],
      [`${GATEWAY_ID}-2`, 'set-communication-profile', 'pending'],
    ]);

    const badId = await gwa('register', '--gateway', 'gw-1', '--wakeup', 'udp://127.0.0.1:9450');
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /^error: SMGW_HEADEND_BAD_ARGUMENT: gateway ID must be/);
    const missing = await gwa('set-profile', '--gateway', GATEWAY_ID, '--file', join(pki.dir, 'nope.json'));
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error: SMGW_PKI_IO: cannot read /);
  });

  it('logs --wait waits for the result (written by another process) and prints the entries', async () => {
    const child = spawn(
      process.execPath,
      cliArgv([
        'headend',
        'gwa',
        'logs',
        '--gateway',
        GATEWAY_ID,
        '--log',
        'system',
        '--count',
        '10',
        '--wait',
        '--timeout',
        '60',
        '--data',
        data,
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const exited = once(child, 'exit');
    const queuedLine = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stderr });
      rl.on('line', (line) => (line.startsWith('queued ') ? resolve(line) : reject(new Error(line))));
    });
    const jobId = /^queued (\S+?);/.exec(queuedLine)?.[1] as string;
    assert.equal(jobId, `${GATEWAY_ID}-3`);
    const registry = GwaRegistry.open(data);
    try {
      const entry = {
        log: 'system',
        index: 1,
        time: '2026-11-28T00:00:00.000Z',
        level: 1,
        outcome: 0,
        event: 'WAKEUP_ACCEPTED',
        message: 'wake-up accepted',
        prevHash: '0'.repeat(64),
        hash: 'a'.repeat(64),
      };
      assert.ok(registry.finishJob(jobId, { ok: true, result: { entries: [entry] } }, Date.now()));
    } finally {
      registry.close();
    }
    const [code] = await exited;
    assert.equal(code, 0);
    assert.equal(stdout, '1  2026-11-28T00:00:00.000Z  L1  O0  WAKEUP_ACCEPTED  -  wake-up accepted\n');
  });

  it('serve hands the queued jobs to the gateway (factory certificate) and logs JSON lines', async () => {
    const child = spawn(
      process.execPath,
      cliArgv(['headend', 'gwa', 'serve', '--data', data, '--pki', pki.pkiDir, '--port', '0']),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: Record<string, unknown>[] = [];
    try {
      const rl = createInterface({ input: child.stdout });
      const listening = new Promise<number>((resolve, reject) => {
        rl.on('line', (line) => {
          const l = JSON.parse(line) as Record<string, unknown>;
          lines.push(l);
          if (l.event === 'listening') resolve(l.port as number);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const port = await listening;
      // The server checks certificates on the system clock: a client clock at the same time.
      const client = await pki.clientProfile('gateway', 'wan-tls-factory', 'gateway/factory-tls.crt.pem');
      const r = await httpsRequest(client, port, 'GET', GWA_PATHS.jobs);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        parseJobsResponse(r.text).jobs.map((j) => j.jobId),
        [`${GATEWAY_ID}-1`, `${GATEWAY_ID}-2`],
      );
      assert.ok(lines.some((l) => l.event === 'gateway-connected' && l.gatewayId === GATEWAY_ID));
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0);
    }
  });
});
