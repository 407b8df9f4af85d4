/**
 * Diehl "real data" frames (Diehl group, CI 7A with a manufacturer-specific security mode whose
 * bit 4 is set, e.g. mode 21 of Sharky heat meters): the application layer is scrambled with the
 * Diehl LFSR (diehl-lfsr.ts); unscrambled it is plain EN 13757-3 records (no 2F 2F).
 *
 * Learned from wmbusmeters (src/manufacturer_specificities.cc: `decryptDielhRealData`, check
 * method CHECKSUM_AND_0XEF): the key is right when the sum of the unscrambled bytes, ANDed with
 * EF, equals the high configuration byte ANDed with EF.
 *
 * NOT REGISTERED YET: the seed needs the frame's access number, status and configuration bytes
 * (frame bytes 11–14), which a DriverInput does not carry (it starts after the transport header).
 * `decodeDiehlRealData` takes them explicitly; the driver can be registered as soon as the
 * pipeline hands drivers the header bytes as received.
 */

import type { DataRecord } from '../records.js';
import { decodeRecords } from '../records.js';
import { DIEHL_DEFAULT_KEYS, diehlUnscramble, lfsrKey } from './diehl-lfsr.js';

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
