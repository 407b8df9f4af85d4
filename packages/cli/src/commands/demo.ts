/** `smgw demo`: the whole architecture on one machine (what `npm start` runs). */
import type { Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import { positiveInteger } from './option-parsers.js';
import { examples } from './pki-command-io.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('run the whole architecture: EMT, GWA, gateway, four meters (npm start)')
    .description(
      [
        'Run the whole architecture on this machine, each part as its own smgw process:',
        'an EMT and the GWA (head-end), the gateway, three wireless M-Bus meters on the',
        'simulated radio and one SML meter over TLS. Creates or reuses a test SM-PKI and',
        "all state under --var; the GWA installs the gateway's profiles, replaces its",
        'factory certificates and wakes it; readings reach the EMT as CMS containers.',
        'Prints progress and the addresses to look at; Ctrl-C stops everything.',
      ].join('\n'),
    )
    .option('--var <dir>', 'state directory', 'var')
    .option(
      '--port-base <port>',
      'GWA port; the other ports keep their offsets (docs/wire-protocols.md)',
      positiveInteger('--port-base'),
    )
    .option('--duration <seconds>', 'stop after this many seconds', positiveInteger('--duration'))
    .option('--verbose', 'show every line of every part')
    .addHelpText('after', examples(['npm start', 'smgw demo --var /tmp/smgw-demo --duration 90']))
    .action(async (flags: { var: string; portBase?: number; duration?: number; verbose?: boolean }) => {
      process.exitCode = await runDemo({
        varDir: flags.var,
        ...(flags.portBase === undefined ? {} : { portBase: flags.portBase }),
        ...(flags.duration === undefined ? {} : { durationSeconds: flags.duration }),
        ...(flags.verbose ? { verbose: true } : {}),
      });
    });
}
