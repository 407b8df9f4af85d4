export { crc16En13757 } from './crc.js';
export { WmbusError, type WmbusErrorCode } from './errors.js';
export type { Explain, ExplainEntry } from './explain.js';
export { type DataRecord, decodeRecords, type RecordFunction, type RecordsResult } from './records.js';
