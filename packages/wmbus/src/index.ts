export { WmbusError, type WmbusErrorCode } from './errors.js';
export type { Explain, ExplainEntry } from './explain.js';
export { type DataRecord, decodeRecords, type RecordFunction, type RecordsResult } from './records.js';
