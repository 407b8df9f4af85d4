/** `smgw devices ...`: see registerX below. */
import type { Command } from 'commander';

export function registerDevices(program: Command): void {
  program.command('devices').description('devices commands (being built)');
}
