/**
 * What an original reading (readings.ts) and a TAF-computed value (derived.ts) have in common:
 * one meter's register value at a capture time with its status words (spec notes §7.3). Both
 * tables check and read these columns alike, here.
 */
import { checkDecimal, checkId, checkInteger, checkObis, checkText, checkTimeMs } from './argument-checks.js';
import type { NewReading } from './types.js';

const UINT32_MAX = 0xffff_ffff;

export type MeterValue = Pick<
  NewReading,
  'meterId' | 'obis' | 'value' | 'scaler' | 'unit' | 'captureTimeMs' | 'smgwStatus' | 'meterStatus'
>;

/** The columns of a MeterValue in the reading and derived tables. */
export interface MeterValueRow {
  meter_id: string;
  obis: string;
  value: string;
  scaler: number;
  unit: string;
  capture_ms: number;
  smgw_status: number;
  meter_status: number | null;
}

/** Refuses a value that would not read back as it was given (see argument-checks.ts). */
export function checkMeterValue(v: MeterValue, field: string): void {
  checkId(v.meterId, `${field}.meterId`);
  checkObis(v.obis, `${field}.obis`);
  checkDecimal(v.value, `${field}.value`);
  checkInteger(v.scaler, `${field}.scaler`, -128, 127);
  checkText(v.unit, `${field}.unit`, 32);
  checkTimeMs(v.captureTimeMs, `${field}.captureTimeMs`);
  checkInteger(v.smgwStatus, `${field}.smgwStatus`, 0, UINT32_MAX);
  if (v.meterStatus !== undefined) checkInteger(v.meterStatus, `${field}.meterStatus`, 0, UINT32_MAX);
}

export function meterValueOfRow(r: MeterValueRow): MeterValue {
  return {
    meterId: r.meter_id,
    obis: r.obis,
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    captureTimeMs: r.capture_ms,
    smgwStatus: r.smgw_status,
    ...(r.meter_status === null ? {} : { meterStatus: r.meter_status }),
  };
}
