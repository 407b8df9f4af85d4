/** The `smgw` command tree. Each subcommand lives in `commands/`, registered here. */
import { Command } from 'commander';
import { registerCms } from './commands/cms.js';
import { registerDemo } from './commands/demo.js';
import { registerDevices } from './commands/devices.js';
import { registerGateway } from './commands/gateway.js';
import { registerHeadend } from './commands/headend.js';
import { registerPki } from './commands/pki.js';
import { registerSmlDecode } from './commands/sml-decode.js';
import { registerWakeup } from './commands/wakeup.js';
import { registerWmbusDecode } from './commands/wmbus-decode.js';
import { EXIT } from './exit-codes.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('smgw')
    // Descriptions are wrapped by hand at ~90 columns; a wider help keeps commander from re-wrapping them.
    .configureHelp({ helpWidth: 100 })
    .description('OpenSMGW: an open software Smart Meter Gateway (BSI TR-03109 architecture) and its tools')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride((err) => {
      // commander reports usage errors with exit code 1; ours is 2 (see exit-codes.ts).
      const code = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : err.exitCode;
      process.exit(code === 1 && err.code.startsWith('commander.') ? EXIT.usage : code);
    });

  const wmbus = program.command('wmbus').description('wireless and wired M-Bus (EN 13757, OMS) tools');
  registerWmbusDecode(wmbus);

  const sml = program.command('sml').description('SML 1.04 (German wired meter protocol) tools');
  registerSmlDecode(sml);

  registerPki(program);
  registerCms(program);
  registerWakeup(program);
  registerGateway(program);
  registerHeadend(program);
  registerDevices(program);
  registerDemo(program);

  return program;
}
