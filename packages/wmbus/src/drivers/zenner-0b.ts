/**
 * ZENNER EDC B.One radio modules (ZRI, version 0B, device type 16): no standard records, only
 * manufacturer data after DIF 0F:
 *
 *   0–3    status (0: OK)
 *   4–7    second register, unsigned little endian, 1/256000 m³
 *   8–11   total volume, unsigned little endian, 1/256000 m³
 *
 * Learned from wmbusmeters (src/driver_zenner0b.cc, which cites ZENNER's "telegram scenario
 * 322"). wmbusmeters calls the second register "target" and describes it as the current month's
 * consumption; which it is is not settled, so it is reported under a neutral name.
 */
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, uintLE } from './driver-record.js';

const COUNTS_PER_M3 = 256_000;

export function decodeZenner0b(input: DriverInput): DriverOutput {
  const d = input.manufacturerData;
  if (d === null) return { records: [] };
  const second = uintLE(d, 4, 4);
  const total = uintLE(d, 8, 4);
  if (second === null || total === null) return { records: [] };
  return {
    records: [
      driverRecord({ quantity: 'volume', unit: 'm3', value: total / COUNTS_PER_M3 }),
      driverRecord({ quantity: 'volume (second register)', unit: 'm3', value: second / COUNTS_PER_M3 }),
    ],
  };
}

export const zenner0b: Driver = {
  name: 'zenner-0b',
  matches: [{ manufacturer: 'ZRI', version: 0x0b, deviceType: 0x16 }],
  decode: decodeZenner0b,
};
