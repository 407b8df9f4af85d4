/**
 * Techem water meter radio modules with a manufacturer-specific CI A2: MK Radio 3 (TCH version
 * 74, device types 62 warm and 72 cold water) and the layout wmbusmeters calls "mkradio3a"
 * (version 50, type 72).
 *
 * MK Radio 3, after the CI (wmbusmeters drivers/src/mkradio3.xmq):
 *   0      not decoded
 *   1–2    last billing date: day bits 0–4, month bits 5–8, year − 2000 bits 9–15
 *   3–4    volume at the last billing date, 0.1 m³
 *   5–6    current date: day bits 4–8, month bits 9–12 (the year is not sent: it is the billing
 *          year, or the next one when the day of the year is not past the billing date's)
 *   7–8    volume since the last billing date, 0.1 m³
 * The current volume is reported as the sum of the two (computed, as wmbusmeters does: the
 * format sends the billing-date reading and the consumption since).
 *
 * "mkradio3a", after the CI (wmbusmeters drivers/src/mkradio3a.xmq):
 *   0–1    not decoded
 *   2–3    current date, laid out like the billing date above
 *   4–6    current volume, 0.1 m³
 *   7…     monthly history (12 × 3 bytes), not decoded: its reading is not settled
 */
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { decimal, driverRecord, isoDate, uintLE } from './driver-record.js';

function mkRadio3(apl: Uint8Array): DataRecord[] {
  const billingRaw = uintLE(apl, 1, 2);
  const atBilling = uintLE(apl, 3, 2);
  const currentRaw = uintLE(apl, 5, 2);
  const since = uintLE(apl, 7, 2);
  if (billingRaw === null || atBilling === null || currentRaw === null || since === null) return [];
  const bDay = billingRaw & 0x1f;
  const bMonth = (billingRaw >> 5) & 0x0f;
  const bYear = 2000 + (billingRaw >> 9);
  const cDay = (currentRaw >> 4) & 0x1f;
  const cMonth = (currentRaw >> 9) & 0x0f;
  const cYear = bYear + (cMonth < bMonth || (cMonth === bMonth && cDay <= bDay) ? 1 : 0);
  return [
    driverRecord({ quantity: 'volume', unit: 'm3', value: decimal(atBilling + since, 1) }),
    driverRecord({ quantity: 'volume', unit: 'm3', value: decimal(atBilling, 1), storage: 1 }),
    driverRecord({ quantity: 'date', unit: 'date', value: isoDate(bYear, bMonth, bDay), storage: 1 }),
    driverRecord({ quantity: 'volume since the last billing date', unit: 'm3', value: decimal(since, 1) }),
    driverRecord({ quantity: 'date', unit: 'date', value: isoDate(cYear, cMonth, cDay) }),
  ];
}

function mkRadio3a(apl: Uint8Array): DataRecord[] {
  const dateRaw = uintLE(apl, 2, 2);
  const total = uintLE(apl, 4, 3);
  if (dateRaw === null || total === null) return [];
  return [
    driverRecord({ quantity: 'volume', unit: 'm3', value: decimal(total, 1) }),
    driverRecord({
      quantity: 'date',
      unit: 'date',
      value: isoDate(2000 + (dateRaw >> 9), (dateRaw >> 5) & 0x0f, dateRaw & 0x1f),
    }),
  ];
}

export function decodeTechemMkRadio3(input: DriverInput): DriverOutput {
  if (input.ci !== 0xa2) return { records: [] };
  if (input.version === 0x74) return { records: mkRadio3(input.apl) };
  if (input.version === 0x50) return { records: mkRadio3a(input.apl) };
  return { records: [] };
}

export const techemMkRadio3: Driver = {
  name: 'techem-mkradio3',
  matches: [
    { manufacturer: 'TCH', version: 0x74, deviceType: 0x62 },
    { manufacturer: 'TCH', version: 0x74, deviceType: 0x72 },
    { manufacturer: 'TCH', version: 0x50, deviceType: 0x72 },
  ],
  decode: decodeTechemMkRadio3,
};
