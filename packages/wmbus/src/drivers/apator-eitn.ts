/**
 * Apator E-ITN heat cost allocators (APA or APT, version 04, device type 08) with a
 * manufacturer-specific CI: A0 followed directly by the 15-byte block below, or B6 followed by a
 * length byte, that many bytes (not decoded), A0 and the block.
 *
 *   0      season start date, low byte (not decoded: its high byte is not sent)
 *   1–2    not decoded
 *   3–4    HCA units of the previous season, unsigned little endian
 *   5–6    electronic seal break date (0000: seal intact), 16-bit date: day (bits 0–4),
 *          month (bits 5–8), year − 2000 (bits 9–13)
 *   7–8    HCA units of the current season
 *   9–10   current date, same 16-bit date
 *   11–12  average room temperature of the previous season, 8.8 fixed point, °C
 *   13–14  average room temperature of the current season
 *
 * Learned from wmbusmeters (drivers/src/apatoreitn.xmq).
 */
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, isoDate, uintLE } from './driver-record.js';

const BLOCK_LENGTH = 15;
const BLOCK_MARK = 0xa0;

/** The 15-byte block, or null when the frame does not have the expected shape. */
function block(input: DriverInput): Uint8Array | null {
  const apl = input.apl;
  let start: number;
  if (input.ci === 0xa0) start = 0;
  else if (input.ci === 0xb6 && apl.length > 0) {
    const skip = 1 + (apl[0] as number);
    if (apl[skip] !== BLOCK_MARK) return null;
    start = skip + 1;
  } else return null;
  return start + BLOCK_LENGTH <= apl.length ? apl.subarray(start, start + BLOCK_LENGTH) : null;
}

function date16(b: Uint8Array, at: number): string | null {
  const raw = uintLE(b, at, 2) as number;
  return raw === 0 ? null : isoDate(2000 + ((raw >> 9) & 0x1f), (raw >> 5) & 0x0f, raw & 0x1f);
}

function fixed88(b: Uint8Array, at: number): number {
  return (uintLE(b, at, 2) as number) / 256;
}

export function decodeApatorEitn(input: DriverInput): DriverOutput {
  const b = block(input);
  if (b === null) return { records: [] };
  const out: DataRecord[] = [
    driverRecord({ quantity: 'heat cost allocation', unit: 'HCA', value: uintLE(b, 7, 2) }),
    driverRecord({ quantity: 'heat cost allocation, previous season', unit: 'HCA', value: uintLE(b, 3, 2) }),
    driverRecord({ quantity: 'date', unit: 'date', value: date16(b, 9) }),
    driverRecord({ quantity: 'date of electronic seal break', unit: 'date', value: date16(b, 5) }),
    driverRecord({ quantity: 'average room temperature, current season', unit: '°C', value: fixed88(b, 13) }),
    driverRecord({ quantity: 'average room temperature, previous season', unit: '°C', value: fixed88(b, 11) }),
  ];
  return { records: out };
}

export const apatorEitn: Driver = {
  name: 'apator-eitn',
  matches: [
    { manufacturer: 'APA', version: 0x04, deviceType: 0x08 },
    { manufacturer: 'APT', version: 0x04, deviceType: 0x08 },
  ],
  decode: decodeApatorEitn,
};
