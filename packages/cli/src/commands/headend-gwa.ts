/** `smgw headend gwa ...` (being built). */
import type { Command } from 'commander';

export function registerHeadendGwa(headend: Command): void {
  headend.command('gwa').description('GWA commands (being built)');
}
