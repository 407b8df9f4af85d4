/**
 * IME electricity meters (IME, version 66, device type 02; wired M-Bus): almost every value is
 * sent as a data record with the manufacturer-specific VIF FF. The first VIFE names the
 * measurand, the last one the meter's own scaling code; the DIFEs' tariff field selects total,
 * tariff, partial counter or phase (1, 2: tariffs 1 and 2; 5: total; 6: partial; 7: three-phase;
 * 8, 9, 10: L1, L2, L3 — for line voltages L1-L2, L2-L3, L3-L1).
 *
 * The table below (VIB after FF → measurand and scale) is learned from wmbusmeters
 * (drivers/src/ime.xmq), whose author warns that the meter has its own scaling system; the scales
 * are those of the telegrams it was written for. The driver adds a decoded record next to each
 * raw one, with the same DIF/VIF, storage, tariff and subunit.
 */
import { fromHex } from '@opensmgw/core';
import { readInt } from '../data-types.js';
import type { DataRecord } from '../records.js';
import type { Driver, DriverInput, DriverOutput } from './driver.js';
import { driverRecord } from './driver-record.js';

interface Measurand {
  readonly quantity: string;
  readonly unit: string;
  /** Contract unit per raw count. */
  readonly scale: number;
  readonly signed: boolean;
}

const MEASURANDS: Readonly<Record<string, Measurand>> = {
  FF80843B: { quantity: 'active energy, positive', unit: 'Wh', scale: 10, signed: true },
  FF80843C: { quantity: 'active energy, negative', unit: 'Wh', scale: 10, signed: true },
  FF81843B: { quantity: 'reactive energy, positive (varh)', unit: '', scale: 10, signed: true },
  FF81843C: { quantity: 'reactive energy, negative (varh)', unit: '', scale: 10, signed: true },
  FF842B: { quantity: 'active power', unit: 'W', scale: 1, signed: true },
  FF852B: { quantity: 'reactive power (var)', unit: '', scale: 1, signed: true },
  FF862B: { quantity: 'apparent power (VA)', unit: '', scale: 1, signed: true },
  FF8748: { quantity: 'voltage, phase to neutral', unit: 'V', scale: 0.1, signed: true },
  FF8848: { quantity: 'voltage, phase to phase', unit: 'V', scale: 0.1, signed: true },
  FF8959: { quantity: 'current', unit: 'A', scale: 0.001, signed: true },
  FF8A48: { quantity: 'frequency (Hz)', unit: '', scale: 0.1, signed: true },
  FF8B28: { quantity: 'power factor', unit: '', scale: 0.001, signed: true },
  FF8C2B: {
    quantity: 'power factor sector (0 resistive, 1 inductive, 2 capacitive)',
    unit: '',
    scale: 1,
    signed: false,
  },
  FF8D2B: { quantity: 'active power demand', unit: 'W', scale: 1, signed: false },
  FF8E2B: { quantity: 'maximum active power demand', unit: 'W', scale: 1, signed: true },
  FF8F21: { quantity: 'run time', unit: 's', scale: 60, signed: true },
};

/** raw × scale without the binary noise of multiplying by 0.1 or 0.001. */
function scaled(raw: number, scale: number): number {
  const v = scale < 1 ? raw / Math.round(1 / scale) : raw * scale;
  return v === 0 ? 0 : v;
}

export function decodeImeRecords(input: DriverInput): DriverOutput {
  const out: DataRecord[] = [];
  for (const r of input.records) {
    const m = MEASURANDS[r.vif];
    if (m === undefined || typeof r.value !== 'string' || !/^([0-9A-F]{2}){1,6}$/.test(r.value)) continue;
    const bytes = fromHex(r.value);
    out.push(
      driverRecord({
        quantity: m.quantity,
        unit: m.unit,
        value: scaled(readInt(bytes, 0, bytes.length, m.signed), m.scale),
        storage: r.storage,
        tariff: r.tariff,
        subunit: r.subunit,
        function: r.function,
        dif: r.dif,
        vif: r.vif,
      }),
    );
  }
  return { records: out };
}

export const imeManufacturerVifs: Driver = {
  name: 'ime-manufacturer-vifs',
  matches: [{ manufacturer: 'IME', version: 0x66, deviceType: 0x02 }],
  decode: decodeImeRecords,
};
