/**
 * Qundis (QDS) "walk-by" telegrams: Q water, Q heat and Q caloric meters send, besides their
 * standard OMS records, a CI 78 telegram whose billing data sits in one manufacturer record,
 * DIF 0D (variable length) VIF FF VIFE 5F, of 53 bytes.
 *
 * Layout of the 53 bytes, learned from wmbusmeters (src/driver_qwater.cc, driver_qheat.cc,
 * driver_qcaloric.cc, manufacturer_specificities.cc `qdsExtractWalkByField`, and
 * drivers/src/qwaterv2.xmq) and checked against the standard telegrams the same meters send
 * (wmbusmeters test corpus: the values agree record for record):
 *
 *   0–8    not decoded (header of the record)
 *   9      the VIF of the values below (13: litres, 05: 100 Wh, 0D: 100 kJ, 6E: HCA units)
 *   10–11  error date, type G (FFFF: none)                 ≙ standard record 32 6C
 *   12–15  current value, 8-digit BCD                      ≙ 0C <VIF>
 *   16–17  due date (end of the last billing year), type G ≙ 42 6C
 *   18–21  value at the due date, BCD                      ≙ 4C <VIF>   (storage 1)
 *   22–23  last month-end date, type G                     ≙ C2 08 6C
 *   24–27  value at the month end, BCD                     ≙ CC 08 <VIF> (storage 17)
 *   28–51  twelve signed 16-bit differences (volume meters only, see below)
 *   52     not decoded
 *
 * Byte 9 is read as the unit, where wmbusmeters hard-codes one per driver: a Q heat meter that
 * counts in 100 kJ (VIF 0D, meter 68204641 in the corpus) sends 0D there and 0C 0D in its
 * standard telegram, so its walk-by total is 3 083.1 × 100 kJ = 856.4 kWh, not the 3 083.1 kWh
 * wmbusmeters prints for it.
 *
 * The twelve 16-bit values: wmbusmeters' qwaterv2 reports them as "volume_delta_2..13" without
 * saying which period they cover; in the water telegrams of the corpus they are small positive
 * volumes with 8000 marking unused slots, so they are decoded for volume VIFs only (in the
 * heat and HCA telegrams the same bytes do not read as differences), 8000 as null.
 */
import { fromHex } from '@opensmgw/core';
import { readBcd, readDateG } from '../data-types.js';
import { type DataRecord, scale } from '../records.js';
import { describeVib, type VibMeaning } from '../vif-tables.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord, intLE } from './driver-record.js';

const WALK_BY_LENGTH = 53;
const HISTORY_OFFSET = 28;
const HISTORY_ENTRIES = 12;
const NO_DIFFERENCE = -0x8000;

/** Value fields of the walk-by record: offset of the BCD value, of its date, storage number. */
const VALUE_FIELDS = [
  { value: 12, date: null, storage: 0 },
  { value: 18, date: 16, storage: 1 },
  { value: 24, date: 22, storage: 17 },
] as const;

function walkByPayload(records: readonly DataRecord[]): Uint8Array | null {
  for (const r of records) {
    if (r.dif === '0D' && r.vif === 'FF5F' && typeof r.value === 'string' && r.value.length === 2 * WALK_BY_LENGTH) {
      return fromHex(r.value);
    }
  }
  return null;
}

/** The meaning of the unit byte, when it is a plain numeric VIF with a contract unit. */
function unitOf(vif: number): VibMeaning | null {
  if (vif & 0x80) return null; // a VIFE would have to follow: not this layout
  const m = describeVib(Uint8Array.of(vif), 0, 1, null);
  if (m.kind !== 'number' || m.unit === '' || m.unit === 's') return null;
  return m;
}

export function decodeQundisWalkBy(input: DriverInput): DriverOutput {
  const p = walkByPayload(input.records);
  if (p === null) return { records: [] };
  const unit = unitOf(p[9] as number);
  if (unit === null) return { records: [] };
  const out: DataRecord[] = [];

  out.push(driverRecord({ quantity: 'date', unit: 'date', value: readDateG(p, 10), function: 'error' }));
  for (const f of VALUE_FIELDS) {
    const raw = readBcd(p, f.value, 4);
    out.push(
      driverRecord({
        quantity: unit.quantity,
        unit: unit.unit,
        value: raw === null ? null : scale(raw, unit),
        storage: f.storage,
      }),
    );
    if (f.date !== null) {
      out.push(driverRecord({ quantity: 'date', unit: 'date', value: readDateG(p, f.date), storage: f.storage }));
    }
  }
  if (unit.quantity === 'volume') {
    for (let k = 0; k < HISTORY_ENTRIES; k++) {
      const raw = intLE(p, HISTORY_OFFSET + 2 * k, 2) as number;
      out.push(
        driverRecord({
          quantity: `volume difference (walk-by history entry ${k + 1} of ${HISTORY_ENTRIES})`,
          unit: unit.unit,
          value: raw === NO_DIFFERENCE ? null : scale(raw, unit),
        }),
      );
    }
  }
  return { records: out };
}

export const qundisWalkBy: Driver = {
  name: 'qundis-walk-by',
  // Every Qundis meter: the record's shape (0D FF 5F, 53 bytes, a known unit byte) decides.
  matches: [{ manufacturer: 'QDS' }],
  decode: decodeQundisWalkBy,
};
