export {
  type AflAuthentication,
  type AflFields,
  aflMacInput,
  computeAflMac,
  decodeAfl,
  FragmentBuffer,
  verifyAflMac,
} from './afl.js';
export {
  BUILT_IN_FORMATS,
  decodeCompactFrame,
  encodeCompactFrame,
  FormatStore,
  formatSignature,
} from './compact.js';
export { crc16En13757 } from './crc.js';
export type { ProfileMode, ProfileSpacing } from './data-types.js';
export {
  type Driver,
  type DriverInput,
  type DriverMatch,
  type DriverOutput,
  DriverRegistry,
  defaultDrivers,
} from './drivers/driver.js';
export { decodeEll, type EllEncryption, type ExtendedLinkLayer, isEllCi } from './ell.js';
export {
  type EncodeAddress,
  type EncodeAfl,
  type EncodeEll,
  type EncodeTelegramInput,
  type EncodeTpl,
  encodeTelegram,
  encodeTelegramFrames,
  plaintextOf,
} from './encode.js';
export { WmbusError, type WmbusErrorCode } from './errors.js';
export type { Explain, ExplainEntry } from './explain.js';
export {
  decodeLinkLayer,
  type FrameFormat,
  idFromString,
  idToString,
  type LinkFrame,
  type LinkLayer,
  manufacturerCode,
  manufacturerFlag,
  mediumName,
  type WiredLinkLayer,
  type WirelessLinkLayer,
} from './link-layer.js';
export { type EncodeRecordsOptions, encodeRecords, type ProfileInput, type RecordInput } from './record-encoder.js';
export {
  type DataRecord,
  type DecodeRecordsOptions,
  decodeRecords,
  type RecordFunction,
  type RecordsResult,
} from './records.js';
export { decodeToJsonLine, decodeToReport, type ReportRecord, stringifyReport, type TelegramReport } from './report.js';
export {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesCtr,
  CachedKey,
  CmacKey,
  deriveMode7Keys,
  ellIv,
  KeyCache,
  kdfInput,
  mode5Iv,
} from './security.js';
export {
  type DecodeOptions,
  DecoderState,
  type DecoderStateOptions,
  decodeTelegram,
  type MeterIdentity,
  type Telegram,
  type TelegramSecurity,
} from './telegram.js';
export {
  ciInfo,
  decodeTransportHeader,
  decryptTransport,
  type MacStatus,
  securityModeName,
  type TplContent,
  type TransportHeader,
} from './transport-layer.js';
export { describeVib, type ValueKind, type VibMeaning } from './vif-tables.js';
