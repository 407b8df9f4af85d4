#!/usr/bin/env node
// `npm run bench`: every benchmark in turn, against the built packages (run `npm run build` first).
// Each script prints its own table and writes bench/results/<name>.json; see their headers.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = ['wmbus-throughput.mjs', 'sml-throughput.mjs', 'pki-init.mjs', 'security.mjs', 'gateway-ingest.mjs'];
let failed = 0;
for (const name of benches) {
  console.log(`\n== ${name}`);
  const r = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${name} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
