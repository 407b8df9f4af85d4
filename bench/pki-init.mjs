#!/usr/bin/env node
// Time of `smgw pki init` (issue 3: "finishes in under 5 s on this machine").
//
//   node bench/pki-init.mjs [--runs 5]
//
// Runs the CLI from its sources (node --import tsx, as the tests do) into fresh temporary
// directories and reports, per run, the time init itself reports (key generation, 21 certificates,
// 2 CRLs, 8 sealed keystores, the final rename) and the wall time of the whole process (Node and
// tsx start-up included; a built CLI starts faster). Prints a table and writes
// bench/results/pki-init.json. Not a timed test: the numbers depend on the machine's load.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args[at + 1]) : 5;
if (!(Number.isInteger(runs) && runs > 0)) {
  console.error('usage: pki-init.mjs [--runs N]');
  process.exit(2);
}

const base = mkdtempSync(join(tmpdir(), 'smgw-bench-pki-'));
const rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = join(base, `pki-${i}`);
    const t = performance.now();
    const r = spawnSync(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', join(root, 'packages/cli/src/main.ts'), 'pki', 'init', dir],
      { cwd: root, encoding: 'utf8' },
    );
    const wall = performance.now() - t;
    const m = /(\d+) files, (\d+) certificates, (\d+) ms/.exec(r.stdout);
    if (r.status !== 0 || !m) {
      console.error(r.stderr || r.stdout);
      process.exit(1);
    }
    rows.push({
      run: i + 1,
      files: Number(m[1]),
      certificates: Number(m[2]),
      initMs: Number(m[3]),
      wallMs: Math.round(wall),
    });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {
  runs,
  medianInitMs: median(rows.map((r) => r.initMs)),
  maxInitMs: Math.max(...rows.map((r) => r.initMs)),
  medianWallMs: median(rows.map((r) => r.wallMs)),
  goalMs: 5000,
};
console.log('run  files  certs  init ms  wall ms');
for (const r of rows) {
  console.log(
    `${String(r.run).padStart(3)}  ${String(r.files).padStart(5)}  ${String(r.certificates).padStart(5)}  ${String(r.initMs).padStart(7)}  ${String(r.wallMs).padStart(7)}`,
  );
}
console.log(
  `median init ${summary.medianInitMs} ms (max ${summary.maxInitMs}), median wall ${summary.medianWallMs} ms; goal < ${summary.goalMs} ms`,
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/pki-init.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadavg: loadavg(),
      node: process.version,
      summary,
      rows,
    },
    null,
    2,
  )}\n`,
);
