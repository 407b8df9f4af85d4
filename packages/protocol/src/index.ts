// The wire contracts between gateway, head-end and devices (sans-I/O): what the GWA sends, what
// the gateway answers, what a market participant receives. Each reader validates hostile JSON
// and throws ProtocolError (SMGW_PROTO_*). docs/wire-protocols.md describes the transports.
export * from './admin.js';
export * from './cls.js';
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export {
  AES128_HEX,
  ID_PATTERN,
  id as parseId,
  MANUFACTURER,
  OBIS_HEX,
  obisHex as parseObisHex,
  obisToText,
  WMBUS_SERIAL,
  wmbusMeterId,
} from './identifiers.js';
/** The small hostile-JSON readers, for other validated files (e.g. the gateway's bootstrap file). */
export * as jsonCheck from './json-check.js';
export { ISO_UTC, parseJsonText } from './json-check.js';
export * from './log-entry.js';
export * from './profiles.js';
export * from './readings.js';
