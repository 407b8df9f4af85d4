/** `smgw headend ...`: see registerX below. */
import type { Command } from 'commander';

export function registerHeadend(program: Command): void {
  program.command('headend').description('headend commands (being built)');
}
