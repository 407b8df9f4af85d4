import type { EvaluationProfile, ReadingKind } from '@opensmgw/protocol';
import type { NewDerivedValue, NewLogEntry, StoredReading } from '../../store/types.js';

/** What one TAF period produces: values to store and send, and calibration-log notes. */
export interface TafResult {
  readonly values: readonly NewDerivedValue[];
  readonly notes: readonly NewLogEntry[];
}

/** A reading taken over unchanged into a TAF list (TAF 1, 6, 7), with the period it is for. */
export function valueFromReading(
  p: EvaluationProfile,
  r: StoredReading,
  kind: ReadingKind,
  targetTimeMs: number,
): NewDerivedValue {
  return {
    evaluationProfileId: p.id,
    meterId: r.meterId,
    obis: r.obis,
    kind,
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    captureTimeMs: r.captureTimeMs,
    targetTimeMs,
    smgwStatus: r.smgwStatus,
    ...(r.meterStatus === undefined ? {} : { meterStatus: r.meterStatus }),
  };
}

export function missingNote(p: EvaluationProfile, obis: string, targetTimeMs: number): NewLogEntry {
  return {
    level: 2,
    outcome: 1,
    event: 'TAF_NO_READING',
    message: `TAF ${p.taf}: no reading for ${new Date(targetTimeMs).toISOString()} (meter ${p.meterId}, channel ${obis})`,
    subject: p.id,
  };
}
