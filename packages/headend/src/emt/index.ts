// Public surface of emt/: the external market participant's receiver (docs/wire-protocols.md
// "Deliveries"): HTTPS server, container intake, store (SQLite or PostgreSQL), reading views.
export {
  ContainerIntake,
  type ContainerIntakeOptions,
  type Delivery,
  gatewayIdOfCommonName,
  type IntakeResult,
  type SenderTrustAnchors,
} from './container-intake.js';
export { EmtError, type EmtErrorCode, emtHttpStatus } from './emt-errors.js';
export { type EmtServer, type EmtServerOptions, loadSenderTrust, startEmtServer } from './emt-server.js';
export {
  type EmtStore,
  MAX_QUERY_LIMIT,
  type MessageFilter,
  type MessageMeta,
  type ReadingFilter,
  type StoredEmtMessage,
  type StoredEmtReading,
  type StoreResult,
} from './emt-store.js';
export { type OpenEmtStoreOptions, openEmtStore } from './open-store.js';
export { PostgresEmtStore, type PostgresEmtStoreOptions, redactDatabaseUrl } from './postgres-store.js';
export {
  DEFAULT_QUERY_LIMIT,
  parseQueryGateway,
  parseQueryLimit,
  parseQueryMeter,
  parseQueryTime,
  parseReadingQuery,
} from './reading-query.js';
export {
  decimalText,
  decimalValue,
  type EmtReadingView,
  obisQuantity,
  READING_VIEW_FIELDS,
  readingView,
} from './reading-view.js';
export { SQLITE_FILE, SqliteEmtStore, type SqliteEmtStoreOptions } from './sqlite-store.js';
