export {
  checkSlotName,
  type SecurityModule,
  SLOT_NAME_PATTERN,
  type SlotInfo,
  type TlsKeyReference,
  WELL_KNOWN_SLOTS,
  type WellKnownSlot,
} from './security-module.js';
