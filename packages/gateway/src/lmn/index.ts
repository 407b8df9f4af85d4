// The gateway's LMN side (spec notes §8): wireless meters through a radio receiver (UDP
// simulation: radio-udp.ts) into the wM-Bus ingest (wmbus-ingest.ts, records mapped to OBIS by
// obis-map.ts), and wired/IP meters pushing SML over TLS (sml-meter-server.ts). Every path
// writes through GatewayStore.accept and reports refusals to the EventLog.
export { LmnError, type LmnErrorCode } from './errors.js';
export { type MappedValue, mapRecord, OBIS_RULES, type ObisRule } from './obis-map.js';
export { UdpRadioReceiver, type UdpRadioReceiverOptions, type UdpRadioStats } from './radio-udp.js';
export { certificateFingerprint, SmlMeterServer, type SmlMeterServerOptions } from './sml-meter-server.js';
export {
  readingOfEntry,
  readingsOfFile,
  type SmlChunkResult,
  type SmlMeterChannels,
  SmlReadingStream,
  type SmlStamp,
} from './sml-readings.js';
export {
  type IngestRefusal,
  type IngestResult,
  type RadioFrame,
  WmbusIngest,
  type WmbusIngestOptions,
} from './wmbus-ingest.js';
