export { type PemBlock, type PemLabel, parsePemBlocks, readDerObjects, toPem } from './pem.js';
