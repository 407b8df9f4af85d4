/** `smgw headend gwa ...` and `smgw headend emt ...`: the head-end servers and their operator commands. */
import type { Command } from 'commander';
import { registerHeadendEmt } from './headend-emt.js';
import { registerHeadendGwa } from './headend-gwa.js';

export function registerHeadend(program: Command): void {
  const headend = program
    .command('headend')
    .description('head-end: the gateway administrator (GWA) and external market participant (EMT) servers');
  registerHeadendGwa(headend);
  registerHeadendEmt(headend);
}
