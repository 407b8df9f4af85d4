// Public surface of the gateway administrator (GWA): its server, registry, wake-up sender and
// the operator operations the CLI and the demo call.
export { HeadendError, type HeadendErrorCode } from './errors.js';
export { type GwaServer, type GwaServerOptions, startGwaServer } from './gwa-server.js';
export {
  type AnyProfile,
  classifyProfile,
  type EmtRecipient,
  type GatewayStatus,
  GwaAdmin,
  type GwaAdminOptions,
  logEntriesOf,
  openGwaAdmin,
} from './operations.js';
export {
  checkGatewayIdArgument,
  type GatewayRecord,
  GWA_DB_FILE,
  GwaRegistry,
  type IssuedCertificate,
  type JobState,
  type ProfileKind,
  parseWakeupAddress,
  type StoredJob,
  type StoredProfile,
  type TlsCertificateKind,
  type WakeupAddress,
} from './registry.js';
export { GWA_SIG_SLOT, sendWakeup, type WakeupSent } from './wakeup-sender.js';
