export * from './cms/index.js';
export {
  CURVE_NAMES,
  CURVES,
  type CurveInfo,
  type CurveName,
  curveByOid,
  ECDSA_OIDS,
  HASH_NAMES,
  HASH_OIDS,
  type HashName,
  hashByEcdsaOid,
  isCurveName,
  isHashName,
} from './curves.js';
export {
  derToRawSignature,
  type EcPublicKey,
  keyObjectOf,
  parseSpki,
  publicKeyFromPoint,
  rawToDerSignature,
  spkiFromPoint,
  verifySignature,
} from './ec-keys.js';
export {
  CmsError,
  type CmsErrorCode,
  PkiError,
  type PkiErrorCode,
  SecurityModuleError,
  type SecurityModuleErrorCode,
  TlsError,
  type TlsErrorCode,
  WakeupError,
  type WakeupErrorCode,
} from './errors.js';
export * from './module/index.js';
export * from './pki/index.js';
export * from './tls/index.js';
export * from './wakeup/index.js';
