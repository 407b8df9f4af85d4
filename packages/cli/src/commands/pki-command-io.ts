/**
 * The edges every `smgw pki` command shares (pki.ts, pki-check.ts): reading and writing files
 * (a failure is SMGW_PKI_IO, exit 3), one line `error: <code>: <message>` on stderr with the
 * exit code of exit-codes.ts, and the Examples block at the end of each command's help.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isSmgwError } from '@opensmgw/core';
import { PkiError } from '@opensmgw/security';
import { EXIT } from '../exit-codes.js';

/** Reads a file; an unreadable file is SMGW_PKI_IO (exit 3). */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PkiError('SMGW_PKI_IO', `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Writes a file; a failure is SMGW_PKI_IO (exit 3). */
export function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new PkiError('SMGW_PKI_IO', `cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Error code → exit code: bad options are usage errors, unreadable/unwritable files I/O errors. */
function exitCodeOf(code: string): number {
  if (code === 'SMGW_PKI_BAD_ARGUMENT' || code === 'SMGW_SM_BAD_ARGUMENT') return EXIT.usage;
  if (code === 'SMGW_PKI_IO') return EXIT.io;
  return EXIT.failed;
}

/** Reports an error as one line on stderr and sets the exit code. */
export function reportError(e: unknown): void {
  if (isSmgwError(e)) {
    process.stderr.write(`error: ${e.code}: ${e.message}\n`);
    process.exitCode = exitCodeOf(e.code);
  } else {
    process.stderr.write(`error: SMGW_CORE_INTERNAL: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.failed;
  }
}

/** A commander option collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The Examples block after a command's help. */
export function examples(lines: readonly string[]): string {
  return ['', 'Examples:', ...lines.map((l) => `  ${l}`)].join('\n');
}
