// The gateway's WAN side (spec notes §5): wake-up listener, HTTPS client, administration
// session and handlers, delivery worker, connection manager, WAN identity.
export {
  type AdminHandlersOptions,
  type AdminJobContext,
  type AdminJobHandler,
  createAdminHandlers,
  SCHEDULE_STATE_KEY,
  type TimeSyncResult,
} from './admin-handlers.js';
export {
  AdminSession,
  type AdminSessionOptions,
  type AdminSessionSummary,
  COMPLETED_STATE_KEY,
  type GwaEndpoint,
  type SessionReason,
  type TimeSync,
} from './admin-session.js';
export { ConnectionManager, type ConnectionManagerOptions } from './connection-manager.js';
export { backoffDelay, DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
export { WanError, type WanErrorCode } from './errors.js';
export { WanHttpsClient, type WanHttpsClientOptions, type WanRequest, type WanResponse } from './https-client.js';
export {
  MAX_WAKEUP_DATAGRAM,
  WAKEUP_STATE_KEY,
  WakeupListener,
  type WakeupListenerOptions,
} from './wakeup-listener.js';
export {
  FACTORY_SLOTS,
  type InstallCertificates,
  type InstalledSummary,
  WAN_IDENTITY_STATE_KEY,
  WanIdentity,
  type WanIdentityOptions,
  type WanPkiTrust,
} from './wan-identity.js';
