/**
 * B METERS HydroClima heat cost allocators (BMP, device type 08, versions 53 and 85): the current
 * HCA value as a standard record 03 6E, then manufacturer data after DIF 0F. Its first byte names
 * the layout:
 *
 *   10 (version 53): status (2), time (2), date (2), average ambient temperature of the current
 *      period (2), maximum ambient temperature (2), its date (2), number of measurements (2),
 *      average ambient and heater temperatures of the previous period (2 + 2), U (2), total U (3)
 *   11 (version 85, "HydroClima 2 ITN"): status (2), time (2), date (2), date the housing was
 *      opened (2), average heater and ambient temperatures of the current period (2 + 2),
 *      maximum ambient temperature (2), its date (2), average heater and ambient temperatures of
 *      the previous period (2 + 2), consumption history (4 × 2, HCA units), ambient temperature
 *      history (3 × 2; 8000: no value), three temperature-bin counters (3 × 3), total U (3)
 *
 * Temperatures are 16-bit little endian in 0.01 °C. Learned from wmbusmeters
 * (src/driver_hydroclima.cc, which cites BMeters' PAPP-HARF2 specification, and
 * drivers/src/hydroclimav2.xmq). Telegrams without record 03 6E carry another layout (RKN9,
 * monthly history) that this driver does not decode.
 *
 * Total U: wmbusmeters' two readings disagree (the .cc driver divides by 10, the xmq driver does
 * not). Read unscaled here: in the version-85 telegram of the corpus the total (2435) is then
 * larger than every single period in the history (468, 2265, 1913, 1632), as a total over all
 * periods must be; divided by 10 it would not be.
 */
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { decimal, driverRecord, intLE, uintLE } from './driver-record.js';

const NO_TEMPERATURE = -0x8000;

interface Field {
  readonly at: number;
  readonly quantity: string;
  readonly kind: 'temperature' | 'hca16' | 'hca24';
}

const LAYOUTS: Readonly<Record<number, readonly Field[]>> = {
  16: [
    { at: 7, quantity: 'average ambient temperature', kind: 'temperature' },
    { at: 9, quantity: 'maximum ambient temperature', kind: 'temperature' },
    { at: 15, quantity: 'average ambient temperature, previous period', kind: 'temperature' },
    { at: 17, quantity: 'average heater temperature, previous period', kind: 'temperature' },
    { at: 21, quantity: 'heat cost allocation, total over all periods', kind: 'hca24' },
  ],
  17: [
    { at: 9, quantity: 'average heater temperature', kind: 'temperature' },
    { at: 11, quantity: 'average ambient temperature', kind: 'temperature' },
    { at: 13, quantity: 'maximum ambient temperature', kind: 'temperature' },
    { at: 17, quantity: 'average heater temperature, previous period', kind: 'temperature' },
    { at: 19, quantity: 'average ambient temperature, previous period', kind: 'temperature' },
    { at: 21, quantity: 'heat cost allocation (consumption history 1 of 4)', kind: 'hca16' },
    { at: 23, quantity: 'heat cost allocation (consumption history 2 of 4)', kind: 'hca16' },
    { at: 25, quantity: 'heat cost allocation (consumption history 3 of 4)', kind: 'hca16' },
    { at: 27, quantity: 'heat cost allocation (consumption history 4 of 4)', kind: 'hca16' },
    { at: 29, quantity: 'average ambient temperature (history 1 of 3)', kind: 'temperature' },
    { at: 31, quantity: 'average ambient temperature (history 2 of 3)', kind: 'temperature' },
    { at: 33, quantity: 'average ambient temperature (history 3 of 3)', kind: 'temperature' },
    { at: 44, quantity: 'heat cost allocation, total over all periods', kind: 'hca24' },
  ],
};

function read(d: Uint8Array, f: Field): DataRecord | null {
  if (f.kind === 'temperature') {
    const raw = intLE(d, f.at, 2);
    if (raw === null) return null;
    return driverRecord({ quantity: f.quantity, unit: '°C', value: raw === NO_TEMPERATURE ? null : decimal(raw, 2) });
  }
  const raw = uintLE(d, f.at, f.kind === 'hca16' ? 2 : 3);
  return raw === null ? null : driverRecord({ quantity: f.quantity, unit: 'HCA', value: raw });
}

export function decodeHydroclima(input: DriverInput): DriverOutput {
  const d = input.manufacturerData;
  if (d === null || d.length === 0) return { records: [] };
  if (!input.records.some((r) => r.dif === '03' && r.vif === '6E')) return { records: [] };
  const layout = LAYOUTS[d[0] as number];
  if (layout === undefined) return { records: [] };
  const out: DataRecord[] = [];
  for (const f of layout) {
    const r = read(d, f);
    if (r === null) break; // the data ended
    out.push(r);
  }
  return { records: out };
}

export const bmetersHydroclima: Driver = {
  name: 'bmeters-hydroclima',
  matches: [
    { manufacturer: 'BMP', version: 0x53, deviceType: 0x08 },
    { manufacturer: 'BMP', version: 0x85, deviceType: 0x08 },
  ],
  decode: decodeHydroclima,
};
