// Public surface of tls/ (filled in by the issue-3 work).

export {
  type ConnectTarget,
  connectWithProfile,
  createProfileServer,
  type EndpointSessionPolicy,
  type ProfileServer,
  type ProfileServerOptions,
} from './endpoints.js';
export {
  engineProcessProblem,
  findPkcs11EnginePath,
  OPENSSL_SHARED_CONFIG_FLAG,
  openTokenBesideEngine,
  PKCS11_ENGINE_CANDIDATES,
  PKCS11_PIN_ENV,
  type Pkcs11EngineConfig,
  pkcs11EngineConfigText,
  pkcs11EngineProcess,
  takePkcs11Pin,
  writePkcs11EngineConfig,
} from './openssl-engine.js';
export {
  checkPeer,
  createPeerVerifier,
  type PeerUsage,
  type PeerVerifier,
  peerChainFromCertificate,
  peerChainOf,
  type SmPkiRole,
  type TlsTrust,
  type TrustMaterial,
  verifyPeerChain,
} from './peer-check.js';
export {
  type CertificateInput,
  DEFAULT_PEER_USAGE,
  hanClientProfile,
  hanServerProfile,
  INTERFACE_RULES,
  lmnClientProfile,
  lmnServerProfile,
  TLS_PROTOCOL_VERSION,
  TLS12_CIPHER_SUITE_NAMES,
  TLS12_CIPHER_SUITES,
  TLS12_GROUPS,
  TLS12_SIGALGS,
  TLS13_BRAINPOOL_GROUPS,
  type TlsCipherSuite,
  type TlsClientProfile,
  type TlsInterface,
  type TlsProfile,
  type TlsProfileConfig,
  type TlsRole,
  type TlsServerProfile,
  tlsProfile,
  wanClientProfile,
  wanServerProfile,
} from './profiles.js';
export { TlsSessionCache, type TlsSessionCacheOptions } from './session-cache.js';
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
  type SessionRecord,
  sessionPolicy,
} from './session-policy.js';
export { type TlsKeyOptions, type TlsKeyOptionsContext, tlsKeyOptions } from './tls-key.js';
