/**
 * The Diehl group's proprietary scrambling (Diehl Metering, Hydrometer, Sappel: DME, HYD, SAP,
 * EWT, SPL): a 32-bit linear-feedback shift register whose output bytes are XORed onto the
 * payload. Used by the "PRIOS" frames of IZAR radio modules (CI A0–A7) and by "real data" frames
 * (CI 7A with a manufacturer-specific security mode). It is obfuscation, not encryption: the
 * default keys are public.
 *
 * Learned from wmbusmeters (src/manufacturer_specificities.cc, `decodeDiehlLfsr`, `convertKey`,
 * the default keys PRIOS_DEFAULT_KEY1/2):
 * - key: the first 8 bytes of the meter key (or of a default key) as two big-endian 32-bit
 *   words, XORed together;
 * - seed: key XOR the big-endian words of frame bytes 2–5 (M field, first two A-field bytes as
 *   sent), 6–9 (rest of the A field) and 10–13 (CI and the next three bytes);
 * - per payload byte (frame bytes 15…): clock the register 8 times, the new bit being the XOR of
 *   register bits 1, 2, 11 and 31, and XOR the low byte of the register onto the payload byte.
 */
import { uint32BE } from './driver-record.js';

/** The two published default keys (8 bytes each). */
export const DIEHL_DEFAULT_KEYS: readonly Uint8Array[] = [
  Uint8Array.of(0x39, 0xbc, 0x8a, 0x10, 0xe6, 0x6d, 0x83, 0xf8),
  Uint8Array.of(0x51, 0x72, 0x89, 0x10, 0xe6, 0x6d, 0x83, 0xf8),
];

/** The 32-bit LFSR key of an 8-byte (or longer: the first 8 bytes count) key. */
export function lfsrKey(key: Uint8Array): number {
  return (uint32BE(key, 0) ^ uint32BE(key, 4)) >>> 0;
}

/**
 * Unscrambles `payload` (frame bytes 15…). `header` is frame bytes 2–13 as sent: M field (2),
 * A field (6), CI and the three bytes after it.
 */
export function diehlUnscramble(payload: Uint8Array, header: Uint8Array, key: number): Uint8Array {
  let r = (key ^ uint32BE(header, 0) ^ uint32BE(header, 4) ^ uint32BE(header, 8)) >>> 0;
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i++) {
    for (let j = 0; j < 8; j++) {
      const bit = ((r >>> 1) ^ (r >>> 2) ^ (r >>> 11) ^ (r >>> 31)) & 1;
      r = ((r << 1) | bit) >>> 0;
    }
    out[i] = (payload[i] as number) ^ (r & 0xff);
  }
  return out;
}
