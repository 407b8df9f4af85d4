/**
 * `smgw gateway init|logs verify|logs show|status`: the bootstrap file for a test PKI, and the
 * operator's read-only view of a gateway store (log chains, entries, counts), including a log
 * row changed behind the gateway's back.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openGatewayStore, readBootstrap } from '@opensmgw/gateway';
import { initTestPki } from '@opensmgw/security';
import Database from 'better-sqlite3';
import { runCli } from './run-cli.js';

describe('smgw gateway', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-gw-cli-'));
  const pki = join(dir, 'pki');
  const bootstrap = join(dir, 'gateway', 'bootstrap.json');
  const storePath = join(dir, 'gateway', 'gateway.db');
  before(async () => {
    await initTestPki(pki);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init writes a bootstrap file the gateway accepts, and refuses to overwrite it', async () => {
    const r = await runCli(['gateway', 'init', '--pki', pki, '--out', bootstrap, '--store', storePath, '--poll', '60']);
    assert.equal(r.code, 0, r.stderr);
    const b = readBootstrap(bootstrap);
    assert.equal(b.gatewayId, 'EOSM0100000001');
    assert.equal(b.storePath, storePath);
    assert.deepEqual(b.wan.wakeup, { host: '127.0.0.1', port: 9450 });
    assert.equal(b.wan.pollIntervalSeconds, 60);
    assert.ok(existsSync(b.securityModule.backend === 'software' ? b.securityModule.keystore : ''));
    const again = await runCli(['gateway', 'init', '--pki', pki, '--out', bootstrap]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists/);
    const text = readFileSync(bootstrap, 'utf8');
    assert.doesNotMatch(text, /keystore\.key"[^}]*[0-9a-f]{64}/, 'no key material in the bootstrap file');
  });

  it('logs verify reports intact chains (exit 0), show prints entries, status counts', async () => {
    const store = openGatewayStore(storePath);
    for (let i = 0; i < 5; i++) {
      store.appendLog(
        'system',
        { level: 1, outcome: 0, event: 'TEST_EVENT', message: `entry ${i}` },
        1_790_000_000_000 + i,
      );
    }
    store.appendLog('calibration', { level: 1, outcome: 0, event: 'TIME_SET', message: 'time set' }, 1_790_000_000_000);
    store.close();
    const v = await runCli(['gateway', 'logs', 'verify', '--bootstrap', bootstrap, '--json']);
    assert.equal(v.code, 0, v.stderr);
    const results = JSON.parse(v.stdout) as { log: string; ok: boolean; entries: number }[];
    assert.deepEqual(
      results.map((x) => [x.log, x.ok, x.entries]),
      [
        ['system', true, 5],
        ['consumer', true, 0],
        ['calibration', true, 1],
      ],
    );
    const show = await runCli([
      'gateway',
      'logs',
      'show',
      '--store',
      storePath,
      '--log',
      'system',
      '--from',
      '2',
      '--count',
      '2',
    ]);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(show.lines.length, 2);
    assert.match(show.lines[0] ?? '', /^\s+2 .*TEST_EVENT.*entry 1$/);
    const status = await runCli(['gateway', 'status', '--store', storePath]);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { readings: number; logs: Record<string, { index: number } | null> };
    assert.equal(s.readings, 0);
    assert.equal(s.logs.system?.index, 5);
    assert.equal(s.logs.consumer, null);
  });

  it('logs verify finds an entry changed behind the gateway (exit 1, the broken index)', async () => {
    const db = new Database(storePath);
    const changed = db.prepare("UPDATE log_entry SET message = 'rewritten' WHERE log = 'system' AND idx = 3").run();
    db.close();
    assert.equal(changed.changes, 1);
    const v = await runCli(['gateway', 'logs', 'verify', '--store', storePath]);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /system\s+BROKEN\s+at entry 3/);
    assert.match(v.stdout, /calibration\s+ok/);
  });

  it('usage errors: no store named, a missing store', async () => {
    const none = await runCli(['gateway', 'logs', 'verify']);
    assert.equal(none.code, 2);
    const missing = await runCli(['gateway', 'status', '--store', join(dir, 'nothing.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no gateway store/);
  });
});
