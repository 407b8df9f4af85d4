/**
 * `smgw demo` (what `npm start` runs), as a user starts it: all parts come up as processes,
 * readings reach the EMT, `--duration` stops everything cleanly with exit code 0, and
 * `smgw headend emt readings --json` afterwards prints the stable JSON array. A second start on
 * the same state directory reuses PKI, keys and configuration.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HanAccounts, openGatewayStore } from '@opensmgw/gateway';
import { READING_JSON_FIELDS } from './reading-json-fields.js';
import { runCli } from './run-cli.js';

describe('smgw demo', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-demo-'));
  const varDir = join(dir, 'var');
  const portBase = 40_000 + (process.pid % 200) * 50;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every part, gets readings to the EMT and stops cleanly', async () => {
    const r = await runCli(['demo', '--var', varDir, '--duration', '45', '--port-base', String(portBase)]);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    assert.match(r.stdout, /created a test SM-PKI/);
    assert.match(r.stdout, /gateway started/);
    assert.match(r.stdout, /valid wake-up packet: calling the GWA/);
    assert.match(r.stdout, /first readings reached the EMT/);
    assert.match(r.stdout, /all parts stopped/);
    assert.doesNotMatch(r.stdout, /exited unexpectedly|demo failed/);
    for (const f of ['pki/pki.json', 'gateway/bootstrap.json', 'gateway/gateway.db', 'emt/emt.db', 'gwa/gwa.db']) {
      assert.ok(existsSync(join(varDir, f)), `${f} kept`);
    }
    // The consumer's HAN login (issue 5) and the accounts the GWA installed in the gateway.
    const login = JSON.parse(readFileSync(join(varDir, 'demo', 'consumer.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(login), ['url', 'user', 'password']);
    assert.match(login.url ?? '', /^https:\/\/localhost:\d+$/);
    const store = openGatewayStore(join(varDir, 'gateway', 'gateway.db'));
    try {
      const users = new HanAccounts(store).list().map((a) => a.userId);
      assert.deepEqual(users.sort(), ['consumer-1', 'consumer-2']);
    } finally {
      store.close();
    }
  });

  it('smgw headend emt readings --json prints the stored readings with the stable fields', async () => {
    const r = await runCli(['headend', 'emt', 'readings', '--data', join(varDir, 'emt'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(rows.length > 0);
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), READING_JSON_FIELDS);
      assert.equal(row.gatewayId, 'EOSM0100000001');
      assert.equal(typeof row.value, 'number');
    }
    const meters = JSON.parse(readFileSync(join(varDir, 'demo', 'meters.json'), 'utf8')) as {
      meters: { manufacturer: string; serial: string }[];
    };
    const ids = new Set(rows.map((x) => x.meterId));
    assert.ok(
      meters.meters.some((m) => ids.has(`${m.manufacturer}-${m.serial}`)),
      `a wireless meter's readings at the EMT (${[...ids].join(', ')})`,
    );
  });

  it('a second start reuses the state and goes on delivering', async () => {
    const before = JSON.parse(
      (await runCli(['headend', 'emt', 'readings', '--data', join(varDir, 'emt'), '--json'])).stdout,
    ) as unknown[];
    const r = await runCli(['demo', '--var', varDir, '--duration', '30', '--port-base', String(portBase)]);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    assert.match(r.stdout, /reusing/);
    assert.match(r.stdout, /already configured/);
    const afterRows = JSON.parse(
      (await runCli(['headend', 'emt', 'readings', '--data', join(varDir, 'emt'), '--json'])).stdout,
    ) as unknown[];
    assert.ok(
      afterRows.length > before.length,
      `more readings after the second run (${before.length} -> ${afterRows.length})`,
    );
  });
});
