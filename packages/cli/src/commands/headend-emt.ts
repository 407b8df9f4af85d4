/** `smgw headend emt ...` (being built). */
import type { Command } from 'commander';

export function registerHeadendEmt(headend: Command): void {
  headend.command('emt').description('EMT commands (being built)');
}
