#!/bin/sh
# The one test command (README: "Run every test"). On a fresh Debian machine with Node 20 it
# installs what the suite needs, builds, and runs typecheck, lint, unit/property tests and the
# corpus scores. Set SMGW_SKIP_INSTALL=1 to skip the install steps on a prepared machine.
set -eu
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if [ "${SMGW_SKIP_INSTALL:-0}" != 1 ]; then
  # Debian packages the suite needs: SoftHSM2 and OpenSSL's pkcs11 engine (security module tests,
  # TLS with a token-held key), opensc (pkcs11-tool), testssl.sh (external TLS profile check),
  # a C toolchain for the pkcs11js and better-sqlite3 addons, PostgreSQL (the EMT's optional
  # store: its tests start a throw-away cluster).
  DEB_PACKAGES="${SMGW_DEB_PACKAGES-softhsm2 libengine-pkcs11-openssl opensc testssl.sh build-essential python3 postgresql}"
  if [ -n "$DEB_PACKAGES" ]; then
    step "apt-get install $DEB_PACKAGES"
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
    if [ "$SUDO" = none ]; then
      echo "not root and no sudo: skipping Debian packages ($DEB_PACKAGES)"
    else
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $DEB_PACKAGES
    fi
  fi
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "build"
npm run -s build
step "typecheck (sources and tests)"
npx tsc -p tsconfig.test.json
step "lint and format check"
npx biome check .
step "unit and property tests"
node scripts/unit-tests.mjs
