/**
 * The edges `smgw cms` and `smgw wakeup` share: the keystore options (--keystore, --key-file or
 * --pin-env, --slot) and opening the software security module they name, input from a file or
 * stdin, output written only whole (a temporary file renamed into place, or stdout), certificate
 * files (PEM or DER), and the command runner: every error becomes one line
 * `error: <code>: <message>` on stderr (with the code of a typed cause, e.g. the PKI check that
 * made a sender untrusted) and the exit code of exit-codes.ts.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isSmgwError } from '@opensmgw/core';
import { PkiError, readDerObjects, SecurityModuleError, SoftwareSecurityModule } from '@opensmgw/security';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { readInput, reportError } from './pki-command-io.js';

export interface KeystoreFlags {
  keystore: string;
  keyFile?: string;
  pinEnv?: string;
  slot: string;
}

/** Adds --keystore, --key-file, --pin-env and --slot (as `smgw pki csr` has them). */
export function keystoreOptions(command: Command, slotExample: string): Command {
  return command
    .requiredOption('--keystore <file>', 'software keystore file (.smgwks)')
    .option('--key-file <file>', 'key file that opens the keystore')
    .option('--pin-env <var>', 'environment variable that holds the PIN')
    .requiredOption('--slot <slot>', `slot of the key, e.g. ${slotExample}`);
}

/** How to open the keystore the options name: checked before any input is read. */
export type KeystoreOpening =
  | { readonly path: string; readonly pin: string }
  | { readonly path: string; readonly keyFile: string };

/**
 * Checks the keystore options (exactly one of --key-file and --pin-env, the PIN variable set,
 * the files readable) so that option errors come first, before stdin is read.
 */
export function keystoreOpening(flags: KeystoreFlags): KeystoreOpening {
  if ((flags.keyFile === undefined) === (flags.pinEnv === undefined)) {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'give exactly one of --key-file and --pin-env');
  }
  for (const file of [flags.keystore, flags.keyFile]) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (e) {
      throw new PkiError('SMGW_PKI_IO', `cannot read ${file}: ${(e as Error).message}`);
    }
  }
  if (flags.keyFile !== undefined) return { path: flags.keystore, keyFile: flags.keyFile };
  const pin = process.env[flags.pinEnv ?? ''];
  if (pin === undefined || pin === '') {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `environment variable ${flags.pinEnv} is not set`);
  }
  return { path: flags.keystore, pin };
}

/**
 * Opens the keystore read-only in effect: `persist: 'manual'` and no call that changes it, so a
 * command never rewrites the keystore it only uses.
 */
export function openKeystore(opening: KeystoreOpening): Promise<SoftwareSecurityModule> {
  return SoftwareSecurityModule.open({ ...opening, persist: 'manual' });
}

/** The bytes of FILE, or of stdin for `-`. An unreadable file is SMGW_PKI_IO (exit 3). */
export async function readBytes(file: string): Promise<Uint8Array> {
  if (file !== '-') return new Uint8Array(readInput(file));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Every certificate in FILE (PEM with one or more CERTIFICATE blocks, or one DER certificate). */
export function readCertificates(file: string): Uint8Array[] {
  return readDerObjects(readInput(file), 'CERTIFICATE');
}

/** The first certificate in FILE. */
export function readCertificate(file: string): Uint8Array {
  return readCertificates(file)[0] as Uint8Array;
}

let tempCounter = 0;

/**
 * Writes `data` to FILE whole or not at all: a temporary file beside it (created exclusively,
 * fsynced) renamed over FILE, removed if anything fails. A symbolic link is followed (the file
 * it names is replaced, the link stays). An existing FILE that is not a regular file (a device
 * such as /dev/null, a FIFO, /dev/stdout) is written directly: renaming over it would replace
 * the device node itself. `-` writes to stdout. A failure is SMGW_PKI_IO (exit 3).
 */
export async function writeWhole(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  if (file === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
    return;
  }
  let target = file;
  let created = false;
  let temp = '';
  try {
    if (existsSync(file)) {
      target = realpathSync(file);
      if (!statSync(target).isFile()) {
        writeFileSync(target, data);
        return;
      }
    }
    temp = join(dirname(target), `.${basename(target)}.${process.pid}.${++tempCounter}.tmp`);
    const fd = openSync(temp, 'wx', mode);
    created = true;
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    created = false;
  } catch (e) {
    if (created) {
      try {
        unlinkSync(temp);
      } catch {
        // the temporary file is gone already
      }
    }
    throw new PkiError('SMGW_PKI_IO', `cannot write ${file}: ${(e as Error).message}`);
  }
}

/** One line on stderr and the exit code; bad arguments of any area are usage errors (exit 2). */
export function reportFailure(e: unknown): void {
  const cause = isSmgwError(e) && isSmgwError(e.cause) ? e.cause : undefined;
  if (isSmgwError(e) && cause !== undefined) {
    // e.g. SMGW_CMS_BAD_SIGNATURE "the sender certificate failed validation" caused by SMGW_PKI_NO_CRL
    process.stderr.write(`error: ${e.code}: ${e.message} (${cause.code}: ${cause.message})\n`);
    process.exitCode = EXIT.failed;
  } else {
    reportError(e);
  }
  if (isSmgwError(e) && e.code.endsWith('_BAD_ARGUMENT')) process.exitCode = EXIT.usage;
  if (isSmgwError(e) && e.code === 'SMGW_PKI_IO') process.exitCode = EXIT.io;
}

/** Runs a command body; every error becomes one line on stderr and an exit code. */
export function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
      process.exitCode ??= EXIT.ok;
    } catch (e) {
      reportFailure(e);
    }
  };
}
