/**
 * `smgw headend emt serve|readings|messages`: the operator's view of what the EMT stored, read
 * (read-only) while a writer holds the database and after; the JSON shape scripts rely on; the
 * server started and stopped as a process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresEmtStore, SqliteEmtStore } from '@opensmgw/headend';
import type { ReadingsMessage } from '@opensmgw/protocol';
import { initTestPki } from '@opensmgw/security';
import type { Command } from 'commander';
import { GATEWAY_ID, readingsMessage } from '../../headend/test/emt-fixtures.js';
import { postgresMissing, startTestPostgres } from '../../headend/test/emt-postgres.js';
import { buildProgram } from '../src/program.js';
import { READING_JSON_FIELDS } from './reading-json-fields.js';
import { cliArgv, runCli } from './run-cli.js';

const GATEWAY = GATEWAY_ID;
// The fixture's header (gateway, profile, TAF 1, created) with readings of four kinds of value.
const message: ReadingsMessage = readingsMessage('q-000001', {
  readings: [
    {
      meterId: 'ELS-12345678',
      obis: '0100010800ff',
      kind: 'original',
      value: '1234567',
      scaler: -1,
      unit: 'Wh',
      captureTime: '2026-11-28T10:00:00.000Z',
      smgwStatus: '00000000',
    },
    {
      meterId: 'ELS-12345678',
      obis: '0100100700ff',
      kind: 'derived',
      value: '-30',
      scaler: 2,
      unit: 'W',
      captureTime: '2026-11-28T10:15:00.000Z',
      targetTime: '2026-11-28T10:15:00.000Z',
      smgwStatus: '00000000',
    },
    {
      meterId: 'GAS-00000001',
      obis: '0700030000ff',
      kind: 'original',
      value: '1',
      scaler: -3,
      unit: 'm3',
      captureTime: '2026-11-28T10:30:00.000Z',
      smgwStatus: '00000000',
    },
    {
      meterId: 'GAS-00000001',
      obis: '0000600100ff',
      kind: 'original',
      value: '7',
      scaler: 0,
      unit: 'count',
      captureTime: '2026-11-28T10:30:00.000Z',
      smgwStatus: '00000000',
    },
  ],
});
const meta = {
  senderCertSha256: 'a'.repeat(64),
  containerSha256: 'b'.repeat(64),
  receivedMs: Date.parse('2026-11-28T10:16:00Z'),
};

const EXPECTED = [
  {
    gatewayId: GATEWAY,
    meterId: 'ELS-12345678',
    obis: '1-0:1.8.0*255',
    obisHex: '0100010800ff',
    quantity: 'energy import',
    value: 123456.7,
    unit: 'Wh',
    captureTime: '2026-11-28T10:00:00.000Z',
    targetTime: null,
    kind: 'original',
    evaluationProfileId: 'ep-taf1',
    messageId: 'q-000001',
  },
  {
    gatewayId: GATEWAY,
    meterId: 'ELS-12345678',
    obis: '1-0:16.7.0*255',
    obisHex: '0100100700ff',
    quantity: 'power',
    value: -3000,
    unit: 'W',
    captureTime: '2026-11-28T10:15:00.000Z',
    targetTime: '2026-11-28T10:15:00.000Z',
    kind: 'derived',
    evaluationProfileId: 'ep-taf1',
    messageId: 'q-000001',
  },
  {
    gatewayId: GATEWAY,
    meterId: 'GAS-00000001',
    obis: '7-0:3.0.0*255',
    obisHex: '0700030000ff',
    quantity: 'gas volume',
    value: 0.001,
    unit: 'm3',
    captureTime: '2026-11-28T10:30:00.000Z',
    targetTime: null,
    kind: 'original',
    evaluationProfileId: 'ep-taf1',
    messageId: 'q-000001',
  },
  {
    gatewayId: GATEWAY,
    meterId: 'GAS-00000001',
    obis: '0-0:96.1.0*255',
    obisHex: '0000600100ff',
    quantity: null,
    value: 7,
    unit: 'count',
    captureTime: '2026-11-28T10:30:00.000Z',
    targetTime: null,
    kind: 'original',
    evaluationProfileId: 'ep-taf1',
    messageId: 'q-000001',
  },
];

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-emt-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('smgw headend emt readings and messages (SQLite)', () => {
  it('reads while a writer holds the database, and after it closed: --json keys and values exactly', async () => {
    const data = join(dir, 'emt');
    const writer = SqliteEmtStore.open(data);
    try {
      await writer.storeMessage(message, meta);
      const live = await runCli(['headend', 'emt', 'readings', '--data', data, '--json']);
      assert.equal(live.code, 0, live.stderr);
      const rows = JSON.parse(live.stdout) as Record<string, unknown>[];
      assert.ok(Array.isArray(rows));
      for (const r of rows) assert.deepEqual(Object.keys(r), READING_JSON_FIELDS);
      assert.deepEqual(rows, EXPECTED);
      // the JSON text carries the decimals themselves, no binary noise
      assert.match(live.stdout, /"value": 123456\.7,/);
      assert.match(live.stdout, /"value": 0\.001,/);
    } finally {
      await writer.close();
    }
    const afterwards = await runCli([
      'headend',
      'emt',
      'readings',
      '--data',
      data,
      '--gateway',
      GATEWAY,
      '--meter',
      'GAS-00000001',
      '--from',
      '2026-11-28T10:30:00Z',
    ]);
    assert.equal(afterwards.code, 0, afterwards.stderr);
    const lines = afterwards.lines;
    assert.equal(lines.length, 3, afterwards.stdout);
    assert.match(
      lines[0] ?? '',
      /^GATEWAY\s+METER\s+OBIS\s+QUANTITY\s+VALUE\s+UNIT\s+CAPTURE TIME\s+KIND\s+PROFILE\s+MESSAGE$/,
    );
    assert.match(
      lines[1] ?? '',
      /^EOSM0100000001\s+GAS-00000001\s+7-0:3\.0\.0\*255\s+gas volume\s+0\.001\s+m3\s+2026-11-28T10:30:00\.000Z/,
    );
    // aligned: every column starts where its header starts; the value column is right-aligned
    const col = (h: string) => (lines[0] ?? '').indexOf(h);
    for (const l of lines.slice(1)) {
      assert.equal(l.indexOf('2026-11-28T10:30'), col('CAPTURE TIME'));
      assert.equal(l.indexOf(' m3 ') > 0 || l.indexOf(' count ') > 0, true);
    }
    const valueEnd = col('VALUE') + 'VALUE'.length;
    assert.equal((lines[1] ?? '').slice(0, valueEnd).endsWith('0.001'), true);
    assert.equal((lines[2] ?? '').slice(0, valueEnd).endsWith('7'), true);

    const msgs = await runCli(['headend', 'emt', 'messages', '--data', data, '--json']);
    assert.equal(msgs.code, 0, msgs.stderr);
    assert.deepEqual(JSON.parse(msgs.stdout), [
      {
        gatewayId: GATEWAY,
        messageId: 'q-000001',
        evaluationProfileId: 'ep-taf1',
        taf: 1,
        created: '2026-11-28T10:15:00.000Z',
        received: '2026-11-28T10:16:00.000Z',
        readings: 4,
        readingsStored: 4,
        usagePointId: null,
        tariffName: null,
        senderCertSha256: 'a'.repeat(64),
        containerSha256: 'b'.repeat(64),
      },
    ]);
  });

  it('refuses --data with --database (exit 2, one error line)', async () => {
    const both = await runCli([
      'headend',
      'emt',
      'readings',
      '--data',
      dir,
      '--database',
      'postgres://x@127.0.0.1:1/x',
    ]);
    assert.equal(both.code, 2, both.stderr);
    assert.equal(both.stderr, 'error: SMGW_CORE_BAD_ARGUMENT: give --data or --database, not both\n');
  });

  it('has a description and examples in the help of every command (in-process)', () => {
    const headend = buildProgram().commands.find((c) => c.name() === 'headend') as Command;
    const emt = headend.commands.find((c) => c.name() === 'emt') as Command;
    for (const name of ['serve', 'readings', 'messages']) {
      const cmd = emt.commands.find((c) => c.name() === name) as Command;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, new RegExp(`^Usage: smgw headend emt ${name} `));
      assert.ok(cmd.description().length > 100, name);
      assert.match(help, new RegExp(`\\nExamples:\\n {2}smgw headend emt ${name}`));
    }
  });
});

describe('smgw headend emt readings (PostgreSQL)', () => {
  const missing = postgresMissing();
  it('reads the same JSON from a PostgreSQL store', { skip: missing ?? false }, async () => {
    const pg = await startTestPostgres();
    try {
      const url = await pg.newDatabase();
      const store = await PostgresEmtStore.open(url);
      await store.storeMessage(message, meta);
      await store.close();
      const r = await runCli(['headend', 'emt', 'readings', '--database', url, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), EXPECTED);
    } finally {
      pg.stop();
    }
  });
});

describe('smgw headend emt serve', () => {
  it('listens with the test PKI, logs JSON on stdout, and stops on SIGTERM', async () => {
    const pki = join(dir, 'pki');
    await initTestPki(pki);
    const data = join(dir, 'served');
    const child = spawn(
      process.execPath,
      cliArgv(['headend', 'emt', 'serve', '--data', data, '--pki', pki, '--port', '0']),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const line = stdout.split('\n').find((l) => l.includes('"listening"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    assert.equal(listening.entity, 'emt-1');
    assert.equal(listening.store, 'sqlite');
    assert.ok(Number(listening.port) > 0);
    assert.equal(existsSync(join(data, 'emt.db')), true);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0, stderr);
  });
});
