/** `smgw pki ...`: the test Smart Metering PKI (issue 3, part 2). */
import type { Command } from 'commander';
import { registerPkiCheckCommands } from './pki-check.js';

export function registerPki(program: Command): void {
  const pki = program.command('pki').description('test Smart Metering PKI: init, issue, revoke, crl, lint, verify');
  registerPkiCheckCommands(pki);
}
