export {
  DEFAULT_SCRYPT,
  type KeystoreContents,
  KeystoreKey,
  type KeystoreSecret,
  type KeystoreSlot,
  keystoreKdf,
  openKeystore,
  readKeystoreFile,
  type ScryptParams,
  sealKeystore,
  writeKeystoreFile,
} from './keystore.js';
export {
  openSecurityModule,
  type Pkcs11ModuleConfig,
  type SecurityModuleConfig,
  type SoftwareModuleConfig,
} from './open-module.js';
// PKCS#11 backend (pkcs11js is loaded on first open, not on import).
export { type Pkcs11KeyProtection, type Pkcs11ModuleOptions, Pkcs11SecurityModule } from './pkcs11-module.js';
export { type Pkcs11UriParts, pkcs11Uri, pkcs11UriEscape } from './pkcs11-uri.js';
export {
  checkSlotName,
  type SecurityModule,
  SLOT_NAME_PATTERN,
  type SlotInfo,
  type TlsKeyReference,
  WELL_KNOWN_SLOTS,
  type WellKnownSlot,
} from './security-module.js';
export { SoftwareSecurityModule, type SoftwareSecurityModuleOptions } from './software-module.js';
