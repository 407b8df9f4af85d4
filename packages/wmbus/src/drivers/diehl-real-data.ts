/**
 * Diehl "real data" frames (Diehl group, CI 7A with a manufacturer-specific security mode whose
 * bit 4 is set, e.g. mode 21 of Sharky heat meters): the application layer is scrambled with the
 * Diehl LFSR (diehl-lfsr.ts); unscrambled it is plain EN 13757-3 records (no 2F 2F).
 *
 * Learned from wmbusmeters (src/manufacturer_specificities.cc: `decryptDielhRealData`, check
 * method CHECKSUM_AND_0XEF): the key is right when the sum of the unscrambled bytes, ANDed with
 * EF, equals the high configuration byte ANDed with EF.
 *
 * The seed needs the frame's M and A fields and its short transport header as sent (frame bytes
 * 2–14): a DriverInput carries them as `linkHeader` and `transportHeader`.
 */

import { concatBytes } from '@opensmgw/core';
import type { DataRecord } from '../records.js';
import { decodeRecords } from '../records.js';
import { DIEHL_DEFAULT_KEYS, diehlUnscramble, lfsrKey } from './diehl-lfsr.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';

/**
 * `header`: frame bytes 2–14 as sent (M field, A field, CI, access number, status, the two
 * configuration bytes); `payload`: the bytes after them. Tries `key` (the meter key), else the
 * published default keys. Returns the records, or null when no key passes the check.
 */
export function decodeDiehlRealData(
  header: Uint8Array,
  payload: Uint8Array,
  key: Uint8Array | null,
): { readonly records: DataRecord[] } | null {
  if (header.length !== 13) return null;
  const keys = key !== null && key.length >= 8 ? [key] : DIEHL_DEFAULT_KEYS;
  const check = (header[12] as number) & 0xef;
  for (const k of keys) {
    const plain = diehlUnscramble(payload, header.subarray(0, 12), lfsrKey(k));
    let sum = 0;
    for (const b of plain) sum += b;
    if ((sum & 0xef) === check) return { records: decodeRecords(plain).records };
  }
  return null;
}

/** Security modes 16–31 are manufacturer specific; Diehl uses those with bit 4 for real data. */
function isRealDataMode(mode: number): boolean {
  return mode >= 16 && mode <= 31;
}

function decodeRealDataDriver(input: DriverInput): DriverOutput {
  // Only the scrambled frames: other telegrams of these meters are standard and already decoded.
  if (input.plaintext || !isRealDataMode(input.securityMode) || input.linkHeader === null) return { records: [] };
  if (input.transportHeader.length !== 5) return { records: [] }; // short header only
  const header = concatBytes(input.linkHeader.subarray(1), input.transportHeader);
  const out = decodeDiehlRealData(header, input.apl, input.key);
  return out === null ? { records: [] } : { records: out.records, decrypted: true };
}

/** Diehl-group meters (Sharky heat meters among them) with scrambled "real data" after CI 7A. */
export const diehlRealData: Driver = {
  name: 'diehl-real-data',
  matches: ['DME', 'HYD', 'SPL', 'EWT'].map((manufacturer) => ({ manufacturer, ci: 0x7a })),
  decode: decodeRealDataDriver,
};
