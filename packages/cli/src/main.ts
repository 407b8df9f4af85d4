#!/usr/bin/env node
/** Entry point of the `smgw` command. */
import { buildProgram } from './program.js';

// A reader that stops early (`smgw ... | head`) closes our stdout: that ends the work, quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

await buildProgram().parseAsync(process.argv);
