// Public surface of tls/ (filled in by the issue-3 work).
export {
  engineProcessProblem,
  findPkcs11EnginePath,
  OPENSSL_SHARED_CONFIG_FLAG,
  PKCS11_ENGINE_CANDIDATES,
  PKCS11_PIN_ENV,
  type Pkcs11EngineConfig,
  pkcs11EngineConfigText,
  pkcs11EngineProcess,
  writePkcs11EngineConfig,
} from './openssl-engine.js';
export {
  applySessionPolicy,
  mayResumeSession,
  type SessionGuard,
  type SessionGuardOptions,
  type SessionLimitEvent,
} from './session-guard.js';
export { type TlsSessionIdentity, tlsSessionIdentity } from './session-key.js';
export {
  DEFAULT_SESSION_POLICIES,
  SessionLedger,
  type SessionLedgerOptions,
  type SessionLimit,
  type SessionPolicy,
  type SessionPolicyInterface,
  type SessionRecord,
  sessionPolicy,
} from './session-policy.js';
export { type TlsKeyOptions, type TlsKeyOptionsContext, tlsKeyOptions } from './tls-key.js';
