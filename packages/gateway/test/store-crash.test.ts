import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openGatewayStore } from '../src/store/gateway-store.js';
import { ENERGY, METER, tempDir } from './fixtures/store-fixtures.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const CHILD = join(import.meta.dirname, 'fixtures', 'store-crash-child.ts');

/** Runs the child until it has printed at least `lines` counters, then SIGKILLs it; returns the complete lines. */
function runAndKill(path: string, lines: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CHILD, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!killed && out.split('\n').length - 2 >= lines) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited on its own (code ${code}): ${err}`));
        return;
      }
      // Only complete lines count: a line cut by the kill was never fully reported.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1).split('\n');
      resolve(complete.filter((l) => /^\d+$/.test(l)).map(Number));
    });
  });
}

describe('gateway store: crash safety', () => {
  it('every counter reported after accept() survives kill -9, across three crashes', async () => {
    const path = tmp.file('crash.db');
    let printed: number[] = [];
    for (const lines of [150, 400, 237]) {
      const round = await runAndKill(path, lines);
      assert.ok(round.length >= lines, `child printed ${round.length} counters`);
      printed = printed.concat(round);

      const s = openGatewayStore(path);
      try {
        const last = printed.at(-1) ?? 0;
        const stored = s.meterCounter(METER) ?? 0;
        // The child may have committed a batch it had no time to print, never fewer than printed.
        assert.ok(stored >= last, `stored counter ${stored} < last printed ${last}`);
        assert.ok(stored - last <= 5, `stored counter ${stored} runs ahead of printed ${last} by more than one batch`);
        const energy = s.between(METER, ENERGY, 0, Number.MAX_SAFE_INTEGER, 100_000).map((r) => Number(r.value) - 1000);
        const storedSet = new Set(energy);
        for (const c of printed) assert.ok(storedSet.has(c), `printed counter ${c} lost`);
        // Batches are atomic: the stored counters are exactly 1..stored, each once, two readings each.
        assert.equal(energy.length, stored);
        assert.deepEqual(
          energy.sort((a, b) => a - b),
          Array.from({ length: stored }, (_, i) => i + 1),
        );
        assert.equal(s.countReadings(), 2 * stored);
      } finally {
        s.close();
      }
    }
  });
});
