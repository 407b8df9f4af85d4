// The active EMT back-end (aEMT): controls CLS devices through the gateway's CLS proxy (spec notes §9.2).
export { AemtChannel, AemtError, type AemtErrorCode, AemtServer, type AemtServerOptions } from './aemt-server.js';
