// The head-end: the gateway administrator (gwa/: HTTPS server, registry, wake-up sender,
// operator operations) and the external market participant (emt/: HTTPS receiver of CMS
// containers, store, reading views). Both meet the gateway only on the wire.

export * from './aemt/index.js';
export * from './emt/index.js';
export * from './gwa/index.js';
export * from './http-server.js';
