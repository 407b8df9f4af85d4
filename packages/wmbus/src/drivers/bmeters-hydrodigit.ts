/**
 * B METERS Hydrodigit water meters (BMT, versions 13, 15, 17): standard records for the current
 * volume and date, then manufacturer data after DIF 0F whose first byte says which blocks follow.
 *
 * Learned from wmbusmeters (drivers/src/hydrodigit.xmq; the older src/driver_hydrodigit.cc). The
 * blocks, in this order when their bit is set in the content byte:
 *   01  battery: low nibble indexes the voltage table below
 *   02  fraud: type byte, then the fraud date (3 bytes BCD: year, month, day)
 *   80  leak date (3 bytes BCD: year, month, day)
 *   04  backflow: 4 bytes, unsigned little endian, litres
 *   10  monthly totals: 12 × 3 bytes, unsigned little endian, 10 l, January first
 * A date of 00 00 00 is "none". A monthly total of FF FF FF is a month before the radio module
 * was installed: reported as null (wmbusmeters prints 0 m³ for it).
 */
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, isoDate, uintLE } from './driver-record.js';

const BATTERY = 0x01;
const FRAUD = 0x02;
const BACKFLOW = 0x04;
const MONTHLY = 0x10;
const LEAK = 0x80;

/** Battery voltage by the low nibble of the battery byte (0, E and F: full, 3.7 V). */
const BATTERY_VOLTS = [3.7, 1.9, 2.1, 2.2, 2.3, 2.4, 2.5, 2.65, 2.8, 2.9, 3.05, 3.2, 3.35, 3.5, 3.7, 3.7] as const;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

const NOT_INSTALLED = 0xffffff;

function bcd(b: number): number | null {
  return b >> 4 > 9 || (b & 0x0f) > 9 ? null : (b >> 4) * 10 + (b & 0x0f);
}

/** Year, month, day as 3 BCD bytes; 00 00 00 is "no date". */
function bcdDate(d: Uint8Array, i: number): string | null {
  const y = bcd(d[i] as number);
  const m = bcd(d[i + 1] as number);
  const day = bcd(d[i + 2] as number);
  if (y === null || m === null || day === null) return null;
  return isoDate(2000 + y, m, day);
}

export function decodeHydrodigit(input: DriverInput): DriverOutput {
  const d = input.manufacturerData;
  if (d === null || d.length === 0) return { records: [] };
  const content = d[0] as number;
  const out: DataRecord[] = [];
  let i = 1;
  const has = (n: number) => i + n <= d.length;

  if (content & BATTERY) {
    if (!has(1)) return { records: out };
    out.push(
      driverRecord({ quantity: 'battery voltage', unit: 'V', value: BATTERY_VOLTS[(d[i] as number) & 0x0f] as number }),
    );
    i += 1;
  }
  if (content & FRAUD) {
    if (!has(4)) return { records: out };
    out.push(driverRecord({ quantity: 'date of fraud', unit: 'date', value: bcdDate(d, i + 1) }));
    i += 4;
  }
  if (content & LEAK) {
    if (!has(3)) return { records: out };
    out.push(driverRecord({ quantity: 'date of leak', unit: 'date', value: bcdDate(d, i) }));
    i += 3;
  }
  if (content & BACKFLOW) {
    if (!has(4)) return { records: out };
    out.push(driverRecord({ quantity: 'backflow volume', unit: 'm3', value: (uintLE(d, i, 4) as number) / 1000 }));
    i += 4;
  }
  if (content & MONTHLY) {
    for (const month of MONTHS) {
      if (!has(3)) return { records: out };
      const raw = uintLE(d, i, 3) as number;
      out.push(
        driverRecord({
          quantity: `volume at end of ${month}`,
          unit: 'm3',
          value: raw === NOT_INSTALLED ? null : raw / 100,
        }),
      );
      i += 3;
    }
  }
  return { records: out };
}

export const bmetersHydrodigit: Driver = {
  name: 'bmeters-hydrodigit',
  matches: [0x13, 0x15, 0x17].map((version) => ({ manufacturer: 'BMT', version })),
  decode: decodeHydrodigit,
};
