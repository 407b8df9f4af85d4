// The gateway store: SQLite implementation of the GatewayStore contract (types.ts).

export { StoreError, type StoreErrorCode } from './errors.js';
export {
  type GatewayStoreOptions,
  MAX_ACCEPT_BATCH,
  MAX_READINGS_PER_ITEM,
  openGatewayStore,
} from './gateway-store.js';
export { canonicalLogEntry, GENESIS_HASH, logEntryHash } from './log-chain.js';
export { MAX_LOG_READ } from './logs.js';
export { SCHEMA_VERSION } from './schema.js';
export type * from './types.js';
