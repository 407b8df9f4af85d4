// The SML 1.04 codec (sans-I/O). Read top to bottom, a frame goes:
// transport.ts (escape sequences, CRC: crc.ts) → messages.ts (SML_Message, file) → bodies.ts
// (message bodies) → entries.ts / value.ts / time.ts (composite types) → tlv.ts (TL fields).
// obis.ts, units.ts and quirks.ts interpret the values; report.ts is the CLI's stream decoder;
// encode.ts builds frames for simulated meters.
export {
  BODY_CODECS,
  bodyTag,
  type SmlAttentionResponse,
  type SmlBodyKind,
  type SmlCloseRequest,
  type SmlCloseResponse,
  type SmlGetListRequest,
  type SmlGetListResponse,
  type SmlGetProcParameterRequest,
  type SmlGetProcParameterResponse,
  type SmlGetProfileListResponse,
  type SmlGetProfilePackResponse,
  type SmlGetProfileRequest,
  type SmlMessageBody,
  type SmlOpenRequest,
  type SmlOpenResponse,
  type SmlSetProcParameterRequest,
} from './bodies.js';
export { type CrcVariant, crc16, crc16Kermit, crc16X25, crcFromWire, crcToWire, matchCrc } from './crc.js';
export * from './encode.js';
export {
  type SmlListEntry,
  type SmlPeriodEntry,
  type SmlProcParValue,
  type SmlProfObjHeaderEntry,
  type SmlProfObjPeriodEntry,
  type SmlStatus,
  type SmlTree,
  type SmlTupelEntry,
  type SmlTupelName,
  type SmlTupelQuantity,
  type SmlValueEntry,
  TUPEL_GROUPS,
} from './entries.js';
export { SmlError, type SmlErrorCode } from './errors.js';
export {
  type DecodedSmlMessage,
  decodeSmlFile,
  encodeSmlFile,
  encodeSmlMessage,
  type MessageEncodeOptions,
  readMessage,
  type SmlFileDecodeResult,
  type SmlMessage,
  writeMessage,
} from './messages.js';
export { formatObis, OBIS_NAMES, type ObisInfo, obisInfo, obisName, parseObis } from './obis.js';
export {
  applyListQuirks,
  DZG_AFFECTED_SERIALS,
  dzgSerial,
  isDzgSignBugMeter,
  KNOWN_QUIRKS,
  type KnownQuirk,
  type QuirkResult,
} from './quirks.js';
export {
  decodeSmlStream,
  frameReport,
  octetsText,
  type SmlFrameReport,
  SmlStreamDecoder,
  type SmlValueReport,
  type StreamDecodeOptions,
  scale,
} from './report.js';
export { readOptTime, readTime, SML_TIME_TAG, type SmlTime, writeOptTime, writeTime } from './time.js';
export {
  END_OF_MESSAGE,
  encodeTl,
  MAX_DEPTH,
  MAX_TL_BYTES,
  minimalIntegerSize,
  OPTIONAL_SKIPPED,
  readTl,
  type SmlNode,
  type SmlScalar,
  type TlField,
  type TlType,
  TlvReader,
  TlvWriter,
} from './tlv.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeTransportFrame,
  SmlTransportSplitter,
  type SplitterOptions,
  START_SEQUENCE,
  splitTransportFrames,
  type TransportEncodeOptions,
  type TransportEvent,
  type TransportFault,
  type TransportFrame,
} from './transport.js';
export { DLMS_UNITS, type DlmsUnit, dlmsUnit, dlmsUnitSymbol } from './units.js';
export { readValue, type SmlValue, smlValue, valueAsNumber, writeValue } from './value.js';
