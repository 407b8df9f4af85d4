/**
 * Known meter quirks: where real meters depart from SML 1.04, and what this codec does about it.
 * The table `KNOWN_QUIRKS` documents all of them; most are absorbed where they occur (noted in
 * `handledIn`). The one that changes a value's meaning — DZG's power sign — is applied here,
 * after decoding, only for the meters it is known to affect.
 *
 * ## DZG DVS74: Active power 1-0:16.7.0 sent as a too-short signed integer
 *
 * Early DZG DVS74 firmware strips leading zero bytes from the (positive) power value but keeps
 * the signed type: 328.05 W (scaler -2, raw 32805 = 0x8025) goes out as `53 80 25`, an
 * Integer16, which reads as -32731 → -327.31 W. Negative values are always sent in four bytes
 * (`55 FF FE 13 93`). libsml carries a workaround (SML_WORKAROUND_DZG_NEGATIVE): when the value
 * of 1-0:16.7.0*255 is a signed integer of at most two data bytes, read it as unsigned.
 *
 * Applied blindly, that workaround breaks the many DZG meters that encode correctly: a real
 * -105.50 W is `53 D6 CA` (libsml-testing DZG_DVS-7420.2V.G2_mtr2_neg.bin, libsml issue #105),
 * and DWSB meters send small negative values in two bytes too (libsml #132, vzlogger #603).
 * DZG told the libsml maintainers (libsml PR #136) that only DVS74 meters are affected, only with
 * firmware before 1.2, and that those carry serial numbers in 42000000–48999999 and
 * 55000000–58999999 (fixed firmware starts at 60000000). The serial number is the last four
 * bytes of the DZG server ID `0A 01 'DZG' 00 <serial, 4 bytes big-endian>`, printed by DZG as
 * "1 DZG 00 <serial>".
 *
 * So we decide by the server ID of the GetList answer: manufacturer DZG and serial in one of the
 * affected ranges → a signed 1- or 2-byte 1-0:16.7.0*255 value is read as unsigned. Every other
 * meter's value keeps its sign. The public DZG dumps we test with (serials 60694611/60694612,
 * and a DWSB20) are outside the ranges, so their negative values stay negative.
 */
import { bytesEqual } from '@opensmgw/core';
import type { SmlListEntry } from './entries.js';
import type { SmlValue } from './value.js';

export interface KnownQuirk {
  readonly id: string;
  readonly meters: string;
  readonly description: string;
  readonly handledIn: string;
}

export const KNOWN_QUIRKS: readonly KnownQuirk[] = [
  {
    id: 'dzg-unsigned-power',
    meters: 'DZG DVS74, serial 42000000-48999999 and 55000000-58999999 (firmware < 1.2)',
    description: 'Positive 1-0:16.7.0*255 power sent as a 1- or 2-byte signed integer; read as unsigned.',
    handledIn: 'quirks.ts (applyListQuirks)',
  },
  {
    id: 'kermit-crc',
    meters: 'Holley DTZ541 (some firmware)',
    description: 'Message and frame CRCs computed as CRC-16/KERMIT instead of CRC-16/X.25; both are accepted.',
    handledIn: 'crc.ts (matchCrc), transport.ts, messages.ts',
  },
  {
    id: 'bare-time',
    meters: 'Holley DTZ541',
    description: 'SML_Time sent as a bare Unsigned32 without the CHOICE list; read as a secIndex marked bare.',
    handledIn: 'time.ts (readTime)',
  },
  {
    id: 'short-integers',
    meters: 'many (EMH, ISKRA, EasyMeter, DZG, Holley)',
    description:
      'Integers shorter than their declared type (3-byte Unsigned32, 6-byte Integer64); accepted when in range.',
    handledIn: 'tlv.ts (TlvReader)',
  },
  {
    id: 'local-time-tag',
    meters: 'several',
    description: 'An SML_TimestampLocal sent under tag 2 instead of 3; decoded by shape, tag kept.',
    handledIn: 'time.ts (readTime)',
  },
  {
    id: 'wrong-message-crc',
    meters: 'various',
    description:
      'A message CRC that matches neither variant inside a frame whose transport CRC is good; tolerated and flagged (crcOk: false).',
    handledIn: 'messages.ts, report.ts',
  },
  {
    id: 'unpadded-frame',
    meters: 'various',
    description: 'End sequence off the 4-byte grid; accepted when the transport CRC matches (aligned: false).',
    handledIn: 'transport.ts',
  },
];

const DZG_POWER = Uint8Array.of(1, 0, 16, 7, 0, 255);
const DZG_PREFIX = Uint8Array.of(0x0a, 0x01, 0x44, 0x5a, 0x47, 0x00); // 0A 01 'D' 'Z' 'G' 00

/** DVS74 serial ranges with the sign bug (libsml PR #136, from DZG). Data, inclusive bounds. */
export const DZG_AFFECTED_SERIALS: readonly (readonly [number, number])[] = [
  [42_000_000, 48_999_999],
  [55_000_000, 58_999_999],
];

/** The DZG serial number of a server ID, or undefined when it is not a DZG server ID. */
export function dzgSerial(serverId: Uint8Array | undefined): number | undefined {
  if (serverId === undefined || serverId.length !== 10) return undefined;
  if (!bytesEqual(serverId.subarray(0, 6), DZG_PREFIX)) return undefined;
  return (
    (serverId[6] as number) * 0x1000000 +
    (serverId[7] as number) * 0x10000 +
    (serverId[8] as number) * 0x100 +
    (serverId[9] as number)
  );
}

export function isDzgSignBugMeter(serverId: Uint8Array | undefined): boolean {
  const serial = dzgSerial(serverId);
  return serial !== undefined && DZG_AFFECTED_SERIALS.some(([lo, hi]) => serial >= lo && serial <= hi);
}

export interface QuirkResult {
  readonly entry: SmlListEntry;
  /** Ids of the quirks that changed this entry. */
  readonly applied: readonly string[];
}

/** Applies the value quirks for one list entry of the GetList answer from `serverId`. */
export function applyListQuirks(serverId: Uint8Array | undefined, entry: SmlListEntry): QuirkResult {
  const v = entry.value;
  if (
    v.type === 'int' &&
    v.size <= 2 &&
    v.value < 0n &&
    bytesEqual(entry.objName, DZG_POWER) &&
    isDzgSignBugMeter(serverId)
  ) {
    const fixed: SmlValue = { type: 'uint', size: v.size, value: BigInt.asUintN(8 * v.size, v.value) };
    return { entry: { ...entry, value: fixed }, applied: ['dzg-unsigned-power'] };
  }
  return { entry, applied: [] };
}
