/**
 * GWF water meters (GWF version 01 type 0E, and version 3C type 07 behind a GWF radio module):
 * standard records, then manufacturer data after DIF 0F. When its first byte is 01:
 *
 *   1      status flags: 02 continuous flow, 08 broken pipe, 20 battery low, 40 backflow
 *   2      bit 0: power saving mode; bits 3–7: remaining battery life in half years
 *
 * Other first bytes are layouts nobody has decoded. Learned from wmbusmeters
 * (drivers/src/gwfwater.xmq).
 */
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, YEAR_S } from './driver-record.js';

const LAYOUT_01 = 0x01;

export function decodeGwfWater(input: DriverInput): DriverOutput {
  const d = input.manufacturerData;
  if (d === null || d.length < 3 || d[0] !== LAYOUT_01) return { records: [] };
  const b = d[2] as number;
  return {
    records: [
      driverRecord({
        quantity: 'status flags (02 continuous flow, 08 broken pipe, 20 battery low, 40 backflow)',
        unit: '',
        value: d[1] as number,
      }),
      driverRecord({ quantity: 'remaining battery life time', unit: 's', value: ((b >> 3) / 2) * YEAR_S }),
    ],
  };
}

export const gwfWater: Driver = {
  name: 'gwf-water',
  matches: [
    { manufacturer: 'GWF', version: 0x01, deviceType: 0x0e },
    { manufacturer: 'GWF', version: 0x3c, deviceType: 0x07 },
  ],
  decode: decodeGwfWater,
};
