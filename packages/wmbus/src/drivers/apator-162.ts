/**
 * Apator AT-WMBUS-16-2 water meter radio modules (APA, version 05, device types 06 and 07): after
 * the (mode-5 encrypted) 2F 2F, a DIF 0F and a register list in Apator's own format. The first 7
 * bytes are a date (4) and fault flags (3); then each register is one identifying byte followed
 * by a length fixed per register; FF pads to the end of the encrypted block.
 *
 * Register 10 is the total volume: 4 bytes, unsigned little endian, in litres. The register
 * lengths below are learned from wmbusmeters (src/driver_apator162.cc, `registerSize`); a
 * register whose length is not known stops the walk, since nothing after it can be delimited.
 */
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, uintLE } from './driver-record.js';

const HEADER = 7;
const TOTAL_VOLUME = 0x10;
const PADDING = 0xff;

/** Register id → length of its content. */
const REGISTER_LENGTH: ReadonlyMap<number, number> = new Map<number, number>([
  [0x00, 4],
  [0x01, 3],
  [0x10, 4],
  [0x11, 2],
  [0x40, 6],
  [0x41, 2],
  [0x42, 4],
  [0x43, 2],
  [0x44, 3],
  [0x71, 9],
  [0x72, 13],
  [0x73, 17],
  [0x75, 25],
  [0x7b, 49],
  ...[0x80, 0x81, 0x82, 0x83, 0x84, 0x86, 0x87].map((r) => [r, 10] as [number, number]),
  ...[0x85, 0x88, 0x8f].map((r) => [r, 11] as [number, number]),
  [0x8a, 9],
  [0x8b, 6],
  [0x8c, 6],
  [0x8e, 7],
  [0xa0, 4],
  [0xa1, 4],
  [0xa2, 1],
  [0xa3, 7],
  [0xa4, 4],
  [0xa5, 1],
  [0xa6, 3],
  ...[0xa7, 0xa8, 0xaa, 0xab, 0xac, 0xad].map((r) => [r, 2] as [number, number]),
  [0xa9, 1],
  [0xaf, 1],
  [0xb0, 5],
  [0xb1, 8],
  [0xb2, 16],
  [0xb3, 8],
  [0xb4, 2],
  [0xb5, 16],
  ...[0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf].map((r) => [r, 3] as [number, number]),
  ...[0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xd0, 0xd3].map((r) => [r, 3] as [number, number]),
  [0xf0, 4],
]);

export function decodeApator162(input: DriverInput): DriverOutput {
  const d = input.manufacturerData;
  if (d === null) return { records: [] };
  const out: DataRecord[] = [];
  let i = HEADER;
  // Each step consumes at least one byte: the walk ends within d.length steps.
  while (i < d.length) {
    const register = d[i] as number;
    if (register === PADDING) break;
    const length = REGISTER_LENGTH.get(register);
    if (length === undefined || i + 1 + length > d.length) break;
    if (register === TOTAL_VOLUME) {
      out.push(driverRecord({ quantity: 'volume', unit: 'm3', value: (uintLE(d, i + 1, 4) as number) / 1000 }));
    }
    i += 1 + length;
  }
  return { records: out };
}

export const apator162: Driver = {
  name: 'apator-162',
  matches: [
    { manufacturer: 'APA', version: 0x05, deviceType: 0x06 },
    { manufacturer: 'APA', version: 0x05, deviceType: 0x07 },
  ],
  decode: decodeApator162,
};
