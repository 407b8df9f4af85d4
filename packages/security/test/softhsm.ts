/**
 * Test helper (not a test file): a throw-away SoftHSM2 environment. A temporary token directory
 * with its own softhsm2.conf, SOFTHSM2_CONF pointing at it, tokens made with softhsm2-util.
 *
 * SoftHSM2 reads SOFTHSM2_CONF and scans the token directory in C_Initialize, and the library is
 * initialised once per process (src/module/pkcs11-library.ts). So a test file makes one
 * environment, creates all its tokens before the first module opens, and cleans up at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian and others put the SoftHSM2 PKCS#11 library; SOFTHSM2_LIB overrides. */
const LIBRARY_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

export function softhsmLibrary(): string | undefined {
  const fromEnv = process.env['SOFTHSM2_LIB'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return LIBRARY_CANDIDATES.find((p) => existsSync(p));
}

function pkcs11jsLoads(): boolean {
  try {
    createRequire(import.meta.url)('pkcs11js');
    return true;
  } catch {
    return false;
  }
}

/**
 * Why SoftHSM2 tests cannot run here, or undefined when they can. For `it(..., { skip })`: CI
 * installs softhsm2 (.ci/run), so there they always run; the skip is for developers without it.
 */
export function softhsmUnavailableReason(): string | undefined {
  if (softhsmLibrary() === undefined) return 'SoftHSM2 library not found (apt-get install softhsm2)';
  if (spawnSync('softhsm2-util', ['--version']).status !== 0) return 'softhsm2-util not on PATH';
  if (!pkcs11jsLoads()) return 'pkcs11js native addon not built';
  return undefined;
}

export function softhsmAvailable(): boolean {
  return softhsmUnavailableReason() === undefined;
}

export interface SoftHsmToken {
  readonly library: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
}

export interface SoftHsmEnvironment {
  readonly library: string;
  readonly dir: string;
  readonly confPath: string;
  /** Initialises a new token in the next free slot (before the first module opens). */
  addToken(label: string, pin?: string, soPin?: string): SoftHsmToken;
  /** Removes the directory and restores SOFTHSM2_CONF. */
  cleanup(): void;
}

export function createSoftHsmEnvironment(): SoftHsmEnvironment {
  const library = softhsmLibrary();
  if (library === undefined) throw new Error('SoftHSM2 is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'smgw-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir);
  const confPath = join(dir, 'softhsm2.conf');
  writeFileSync(
    confPath,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const previous = process.env['SOFTHSM2_CONF'];
  process.env['SOFTHSM2_CONF'] = confPath;
  return {
    library,
    dir,
    confPath,
    addToken(label, pin = '1234567890', soPin = '0987654321') {
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
        env: { ...process.env, SOFTHSM2_CONF: confPath },
        stdio: 'pipe',
      });
      return { library, tokenLabel: label, pin, soPin };
    },
    cleanup() {
      if (previous === undefined) delete process.env['SOFTHSM2_CONF'];
      else process.env['SOFTHSM2_CONF'] = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SoftHsm extends SoftHsmToken {
  readonly confPath: string;
  readonly dir: string;
  cleanup(): void;
}

/** One environment with one token: the common case. */
export function createSoftHsm(label = 'smgw-test', pin = '1234567890', soPin = '0987654321'): SoftHsm {
  const env = createSoftHsmEnvironment();
  try {
    const token = env.addToken(label, pin, soPin);
    return { ...token, confPath: env.confPath, dir: env.dir, cleanup: () => env.cleanup() };
  } catch (e) {
    env.cleanup();
    throw e;
  }
}
