export { EXIT } from './exit-codes.js';
export { buildProgram, VERSION } from './program.js';
