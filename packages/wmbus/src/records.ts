/**
 * EN 13757-3 application layer: DIF/DIFE/VIF/VIFE data records.
 * STUB: the interface the frame layers call; the implementation replaces this file.
 */

import { WmbusError } from './errors.js';
import type { Explain } from './explain.js';

export type RecordFunction = 'instantaneous' | 'maximum' | 'minimum' | 'error';

/** One decoded data record. The JSON fields are the CLI contract (issue 2, §4). */
export interface DataRecord {
  /** DIF and DIFEs as on the wire, upper-case hex. */
  readonly dif: string;
  /** VIF and VIFEs as on the wire, upper-case hex (a plain-text VIF's text excluded). */
  readonly vif: string;
  readonly storage: number;
  readonly tariff: number;
  readonly subunit: number;
  readonly function: RecordFunction;
  /** What is measured: 'energy', 'volume', 'flow temperature', 'date', 'error flags', ... */
  readonly quantity: string;
  /** Contract unit: Wh, J, m3, kg, W, J/h, m3/h, kg/h, °C, K, bar, s, V, A, HCA, date, datetime, or ''. */
  readonly unit: string;
  /** Value in base units with the VIF scale applied; dates as ISO-8601; raw bytes as hex; null if invalid. */
  readonly value: number | string | null;
}

export interface RecordsResult {
  readonly records: DataRecord[];
  /** Bytes after a manufacturer-specific DIF 0F/1F, for drivers; null when there is none. */
  readonly manufacturerData: Uint8Array | null;
  /** DIF 1F: more records follow in the next telegram. */
  readonly moreRecordsFollow: boolean;
  /**
   * The record format: the DIB+VIB bytes of every data record in order (no idle fillers, no
   * manufacturer data), from which compact frames (CI 79) are reassembled. EN 13757-3 Annex G.
   */
  readonly format: Uint8Array;
}

export function decodeRecords(_payload: Uint8Array, _explain?: Explain): RecordsResult {
  throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', 'records: not implemented yet');
}
