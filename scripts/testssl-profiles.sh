#!/bin/sh
# testssl.sh (Debian package, 3.0.x) against the three TLS server profiles of the security
# package: LMN server, WAN head-end (GWA/EMT) server, HAN server. Prints the summary quoted in
# docs/tls.md. The unit tests scan the LMN server only (testssl.sh needs 15-35 s per server);
# this script, or SMGW_TESTSSL_ALL=1 with the tests, scans all three.
# Usage: scripts/testssl-profiles.sh [lmn|wan|han ...]
set -eu
cd "$(dirname "$0")/.."
exec node --conditions=development --import tsx packages/security/test/testssl-profiles.ts "$@"
