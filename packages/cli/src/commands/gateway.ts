/** `smgw gateway ...`: see registerX below. */
import type { Command } from 'commander';

export function registerGateway(program: Command): void {
  program.command('gateway').description('gateway commands (being built)');
}
