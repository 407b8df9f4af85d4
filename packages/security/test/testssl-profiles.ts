/**
 * Runs testssl.sh against the LMN, WAN head-end and HAN server profiles and prints the summary
 * that docs/tls.md quotes (not a test file; `scripts/testssl-profiles.sh` runs it). Exit code 1
 * when testssl.sh saw anything TR-03116-3 forbids, 2 when testssl.sh is missing.
 */
import { FakeClock } from '@opensmgw/core';
import { formatTestsslSummary, opensslVersion, testsslVersion } from './tls-external.js';
import { startProfileServers, testsslProfile } from './tls-profile-servers.js';
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
    const { run, summary, violations } = await testsslProfile(s, material.dir, `${i}`);
    console.log(formatTestsslSummary(s.name, run, summary));
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
