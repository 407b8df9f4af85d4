/**
 * Runs testssl.sh against the LMN, WAN head-end and HAN server profiles and prints the summary
 * that docs/tls.md quotes (not a test file; `scripts/testssl-profiles.sh` runs it). Exit code 1
 * when testssl.sh saw anything TR-03116-3 forbids, 2 when testssl.sh is missing.
 */
import { FakeClock } from '@opensmgw/core';
import { TLS12_CIPHER_SUITE_NAMES } from '../src/index.js';
import {
  formatTestsslSummary,
  opensslVersion,
  runTestssl,
  summarizeTestssl,
  testsslVersion,
  testsslViolations,
} from './tls-external.js';
import { startProfileServers } from './tls-profile-servers.js';
import { makeTlsTestMaterial } from './tls-test-certs.js';

const version = testsslVersion();
if (version === undefined) {
  console.error('testssl.sh is not installed (Debian: apt-get install testssl.sh)');
  process.exit(2);
}
const material = await makeTlsTestMaterial();
const servers = await startProfileServers(material, new FakeClock(material.issuedAt + 60_000));
let failed = false;
try {
  console.log(
    `testssl.sh ${version}, ${opensslVersion()} (system), Node ${process.version} (OpenSSL ${process.versions.openssl})\n`,
  );
  const only = process.argv.slice(2).map((a) => a.toLowerCase());
  for (const [i, s] of servers.entries()) {
    if (only.length > 0 && !only.some((o) => s.name.toLowerCase().includes(o))) continue;
    const run = await runTestssl({
      host: '127.0.0.1',
      port: s.running.port,
      workDir: material.dir,
      name: `${i}`,
      client: s.client,
    });
    const summary = summarizeTestssl(run.findings);
    console.log(formatTestsslSummary(s.name, run, summary));
    const violations =
      run.findings.length === 0
        ? ['testssl.sh wrote no JSON', run.text]
        : testsslViolations(summary, TLS12_CIPHER_SUITE_NAMES);
    if (violations.length > 0) {
      failed = true;
      console.log(`VIOLATIONS (${s.name}):\n  ${violations.join('\n  ')}\n`);
    }
  }
} finally {
  for (const s of servers) await s.running.close();
  material.cleanup();
}
process.exit(failed ? 1 : 0);
