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
export {
  checkSlotName,
  type SecurityModule,
  SLOT_NAME_PATTERN,
  type SlotInfo,
  type TlsKeyReference,
  WELL_KNOWN_SLOTS,
  type WellKnownSlot,
} from './module/security-module.js';
