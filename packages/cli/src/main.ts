#!/usr/bin/env node
/** Entry point of the `smgw` command. */
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
