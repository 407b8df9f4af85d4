#!/usr/bin/env node
// Developer convenience: runs the workplace's scoring scripts (../shared/tools, not part of this
// repository and not needed by CI) against the BUILT CLI and prints their summary lines.
// CI scores the same corpora with the project's own tests (packages/cli/test/*corpus*.test.ts).
//   node scripts/scores.mjs [--tools DIR] [--data DIR]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const tools = resolve(arg('--tools', '../shared/tools'));
const data = resolve(arg('--data', '../shared/testdata'));
if (!existsSync(join(tools, 'wmbus-oracle.mjs'))) {
  console.error(`scoring tools not found in ${tools} (use --tools DIR)`);
  process.exit(2);
}
const smgw = [process.execPath, 'packages/cli/bin/smgw.js'];
const jobs = [
  ['oms-vectors.mjs', join(data, 'wmbus/oms_security_vectors.jsonl'), '--', ...smgw, 'wmbus', 'decode', '--jsonl'],
  [
    'wmbus-oracle.mjs',
    join(data, 'wmbus/wmbusmeters-cases.jsonl'),
    '--',
    ...smgw,
    'wmbus',
    'decode',
    '--jsonl',
    '--simulated-plaintext',
  ],
  ['sml-oracle.mjs', join(data, 'sml'), '--', ...smgw, 'sml', 'decode'],
  ['wmbus-throughput.mjs', '20000', '--', ...smgw, 'wmbus', 'decode', '--jsonl', '--simulated-plaintext'],
];
let failed = false;
for (const [tool, ...rest] of jobs) {
  const r = spawnSync(process.execPath, [join(tools, tool), ...rest], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  console.log(last || `${tool}: no output (exit ${r.status})\n${r.stderr.slice(-1500)}`);
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
