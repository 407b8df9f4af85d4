/**
 * Apator meters with a manufacturer-specific CI A0 (APT; wmbusmeters' "apator08": version 03
 * type 03 and version 0F type 0F; "apator172": version 04 type 11): the first 4 bytes after the
 * CI are a counter, unsigned little endian, in thirds of a unit that depends on the model.
 *
 * Learned from wmbusmeters (drivers/src/apator08.xmq: the counter read as litres, VIF 13, and
 * scaled by 1/3; drivers/src/apator172.xmq and its older test: the counter in thirds of a cubic
 * metre). The unit per model is wmbusmeters' reading; no other public source was found. The rest
 * of the payload is not decoded.
 */
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, uintLE } from './driver-record.js';

/** Counts per cubic metre, by version and device type (`${version}/${deviceType}`). */
const COUNTS_PER_M3: Readonly<Record<string, number>> = {
  '3/3': 3000, // apator08: a third of a litre
  '15/15': 3000,
  '4/17': 3, // apator172: a third of a cubic metre
};

export function decodeApator08(input: DriverInput): DriverOutput {
  const perM3 = COUNTS_PER_M3[`${input.version}/${input.deviceType}`];
  const counts = uintLE(input.apl, 0, 4);
  if (input.ci !== 0xa0 || perM3 === undefined || counts === null) return { records: [] };
  return { records: [driverRecord({ quantity: 'volume', unit: 'm3', value: counts / perM3 })] };
}

export const apator08: Driver = {
  name: 'apator-08',
  matches: [
    { manufacturer: 'APT', version: 0x03, deviceType: 0x03, ci: 0xa0 },
    { manufacturer: 'APT', version: 0x0f, deviceType: 0x0f, ci: 0xa0 },
    { manufacturer: 'APT', version: 0x04, deviceType: 0x11, ci: 0xa0 },
  ],
  decode: decodeApator08,
};
