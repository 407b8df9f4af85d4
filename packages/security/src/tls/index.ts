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
export { type TlsKeyOptions, type TlsKeyOptionsContext, tlsKeyOptions } from './tls-key.js';
