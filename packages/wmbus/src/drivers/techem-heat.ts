/**
 * Techem heat meters with a manufacturer-specific CI (A1/A2): Compact V (TCH versions 22, 39,
 * 45) and Vario 4 type 4.5.1 (version 27). After the CI:
 *
 *   0      not decoded
 *   1–2    not decoded (reads like a 16-bit date: the last billing date)
 *   3–5    energy at the last billing date, unsigned little endian
 *   6      not decoded
 *   7–9    energy since the last billing date, unsigned little endian
 *
 * in kWh (Compact V) or 0.001 GJ (Vario 4.5.1). Learned from wmbusmeters (drivers/src/compact5.xmq,
 * src/driver_compact5.cc, src/driver_vario451.cc).
 *
 * wmbusmeters names the two values "previous" and "current" period and reports their sum as the
 * meter's total. The sum is the current reading if the first value is the reading at the billing
 * date and the second the consumption since; the corpus magnitudes support that (50 451 kWh
 * "previous" against 7 567 kWh in the months since, 155 712 kWh against 205 kWh: readings, not
 * yearly consumptions of one dwelling), so the values are reported that way: energy at the
 * billing date (storage 1), energy since, and their sum as the current energy (computed).
 */
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, uintLE } from './driver-record.js';

/** Contract unit (J or Wh) per count, by version. */
const UNIT_BY_VERSION: Readonly<Record<number, { readonly unit: 'Wh' | 'J'; readonly perCount: number }>> = {
  34: { unit: 'Wh', perCount: 1000 },
  57: { unit: 'Wh', perCount: 1000 },
  69: { unit: 'Wh', perCount: 1000 },
  39: { unit: 'J', perCount: 1e6 },
};

export function decodeTechemHeat(input: DriverInput): DriverOutput {
  const u = UNIT_BY_VERSION[input.version];
  const atBilling = uintLE(input.apl, 3, 3);
  const since = uintLE(input.apl, 7, 3);
  if (u === undefined || atBilling === null || since === null) return { records: [] };
  return {
    records: [
      driverRecord({ quantity: 'energy', unit: u.unit, value: (atBilling + since) * u.perCount }),
      driverRecord({ quantity: 'energy', unit: u.unit, value: atBilling * u.perCount, storage: 1 }),
      driverRecord({ quantity: 'energy since the last billing date', unit: u.unit, value: since * u.perCount }),
    ],
  };
}

export const techemHeat: Driver = {
  name: 'techem-heat',
  matches: [
    ...[0x04, 0x43, 0xc3].map((deviceType) => ({ manufacturer: 'TCH', version: 0x45, deviceType })),
    { manufacturer: 'TCH', version: 0x39, deviceType: 0x43 },
    { manufacturer: 'TCH', version: 0x22, deviceType: 0x43 },
    { manufacturer: 'TCH', version: 0x27, deviceType: 0x04 },
    { manufacturer: 'TCH', version: 0x27, deviceType: 0xc3 },
  ],
  decode: decodeTechemHeat,
};
