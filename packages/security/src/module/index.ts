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
